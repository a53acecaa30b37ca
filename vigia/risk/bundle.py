"""Classifier bundles: the folder a risk model is exported to, registered, pushed and served from.

<bundle>/
  vigia-model.json   kind "classifier", method, target, positive values, feature schema,
                     threshold, calibration, data hash (after push: name, version, decision)
  model.joblib       the :class:`~vigia.risk.model.RiskModel`

Nothing row-level is stored: no training rows, no identifiers.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from vigia.models.bundle import MANIFEST, read_manifest
from vigia.risk.model import RiskModel
from vigia.risk.task import RiskTask

KIND = "classifier"


def write_classifier_bundle(
    folder: str | Path, model: RiskModel, task: RiskTask, meta: dict[str, Any]
) -> Path:
    """Export a trained risk model and its manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder)
    manifest = {
        "kind": KIND,
        "method": model.family,
        "params": model.params,
        "target": task.target,
        "positive": list(task.positive),
        "task": task.label,
        "features": [asdict(f) for f in model.features],
        "threshold": model.threshold,
        "calibration": model.calibration,
        "contributions": model.has_contributions,
        **meta,
    }
    (folder / MANIFEST).write_text(
        json.dumps(manifest, indent=2, default=str, ensure_ascii=False), encoding="utf-8"
    )
    return folder


def load_classifier_bundle(folder: str | Path) -> tuple[RiskModel, dict[str, Any]]:
    """The risk model and the manifest of a classifier bundle."""
    manifest = read_manifest(folder)
    if manifest.get("kind") != KIND:
        raise ValueError(f"{folder}: kind {manifest.get('kind')!r} is not {KIND!r}")
    return RiskModel.load(folder), manifest
