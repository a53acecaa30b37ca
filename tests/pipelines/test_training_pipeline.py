"""The training pipeline under kfp.local on a real slice, and its compiled YAML."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vigia.images import image_ref
from vigia.pipelines.compile import compile_all
from vigia.pipelines.local import run_pipeline_locally
from vigia.pipelines.training import (
    create_training_pipeline,
    read_training_outcome,
    training_arguments,
)
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.workspace import Workspace

SLICE = {"regions": "PIURA,LORETO,TUMBES", "backtest_years": 0.25, "refit_every": 13}
LOOSE_GATE = "[forecast]\nmax_relative_wis = 1.5\nchampion_tolerance = 0.05\n"


def _train(ws: Workspace, **overrides) -> dict:
    pipeline = create_training_pipeline(image_ref("project", "local"))
    run = run_pipeline_locally(
        pipeline, training_arguments(ws, LOOSE_GATE, **SLICE, **overrides), ws, quiet=True
    )
    return read_training_outcome(run)


@pytest.mark.slow
def test_pipeline_pushes_an_approved_model_and_rejects_a_useless_one(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    store = ModelStore(ws.models)

    first = _train(ws, method="xgboost")  # the default hybrid is exercised by `make demo`
    assert first["decision"]["approved"] is True
    assert first["pushed"] and first["version"] == 1
    assert store.current("dengue-forecast") == 1
    assert first["card"]["n_regions"] == 3
    assert set(first["scores"]["methods"]) >= {"persistence", "seasonal_naive", "xgboost"}

    useless = _train(ws, method="constant")
    assert useless["decision"]["approved"] is False
    failed = [c for c in useless["decision"]["checks"] if not c["passed"]]
    assert failed and failed[0]["name"] == "relative_wis"
    assert not useless["pushed"]
    assert useless["version"] == 2  # registered as a challenger, never promoted
    registry = Registry(ws.tracking_uri)
    assert registry.champion("dengue-forecast").version == 1
    assert "challenger" in registry.version("dengue-forecast", 2).aliases
    assert store.current("dengue-forecast") == 1  # the served version did not move
    assert store.versions("dengue-forecast") == [1]
    assert not list(ws.root.glob("kfp-*")), "temporary kfp folders must be cleaned up"


def test_compiled_pipeline_structure(tmp_path: Path) -> None:
    path = next(p for p in compile_all(tmp_path) if p.name == "training.yaml")
    spec, *_platform_spec = yaml.safe_load_all(path.read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {"ingest", "features", "train", "evaluate", "register", "condition-1"}
    condition = tasks["condition-1"]
    assert "evaluate" in condition["dependentTasks"]
    assert "pipelinechannel--evaluate-Output" in condition["triggerPolicy"]["condition"]
    inner = spec["components"]["comp-condition-1"]["dag"]["tasks"]
    assert set(inner) == {"push", "promote", "dashboard"}
    assert inner["promote"]["dependentTasks"] == ["push"]  # the cluster canary's verdict
    assert inner["dashboard"]["dependentTasks"] == ["promote"]
    for name in ("evaluate", "register"):
        assert tasks[name]["cachingOptions"] == {}
    assert inner["push"]["cachingOptions"] == {}
    cluster_image = image_ref("project", "cluster")
    executors = spec["deploymentSpec"]["executors"]
    assert len(executors) == 8
    for executor in executors.values():
        container = executor["container"]
        assert container["image"] == cluster_image
        assert "pip install" not in " ".join(container["command"])  # kfp comes from the image
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert {"tracking_uri", "store_root", "gate_config"} <= set(inputs)
    assert inputs["source"]["defaultValue"] == "peru"
