"""Compile every pipeline to YAML with the cluster image (``vigia/images.toml``)."""

from __future__ import annotations

from pathlib import Path

from kfp import compiler

from vigia.images import image_ref
from vigia.pipelines.monitoring import create_monitoring_pipeline
from vigia.pipelines.risk import create_risk_pipeline
from vigia.pipelines.training import create_training_pipeline


def pipeline_factories() -> dict[str, object]:
    """Pipeline name → factory taking the image reference."""
    return {
        "training": create_training_pipeline,
        "risk": create_risk_pipeline,
        "monitoring": create_monitoring_pipeline,
    }


def compile_all(out_dir: str | Path, image: str | None = None) -> list[Path]:
    """Compile all pipelines into ``out_dir``; returns the written files."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    chosen = image or image_ref("project", "cluster")
    written = []
    for name, factory in pipeline_factories().items():
        path = out / f"{name}.yaml"
        compiler.Compiler().compile(factory(chosen), str(path))  # type: ignore[operator]
        written.append(path)
    return written
