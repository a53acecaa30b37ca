"""A whole risk-model check in one process: check → publish → [retrain], what
``vigia monitor run --model <risk model>`` calls.

Retraining goes the way the forecaster's does: the model's training pipeline (here the risk
pipeline under ``kfp.local``) and its approval gate; a refused candidate is registered and never
pushed. The data to retrain on must be known: a built-in dataset whose task has the model's name
(``dengue-severity``, ``readmission-risk``); any other model's check reports the decision and says
how to retrain it (``vigia risk train``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.monitor.check import MonitorPaths
from vigia.monitor.publish import recent_retrain, record_retraining
from vigia.monitor.risk_check import RiskCheck, check_risk_model, read_labels
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.monitor.risk_publish import RiskPublished, publish_risk_check


@dataclass
class RiskOutcome:
    check: RiskCheck
    published: RiskPublished
    retraining: dict[str, Any] | None = None


def builtin_source(model: str) -> str | None:
    """The built-in dataset a model of this name is trained on, if any."""
    from vigia.risk.datasets import DATASETS

    for name, dataset in DATASETS.items():
        if dataset.task().name == model:
            return name
    return None


def start_risk_retraining(
    model: dict[str, Any], as_of: pd.Timestamp, workspace_root: Path, reports_root: Path
) -> dict[str, Any]:
    """Run the risk pipeline for ``model`` (kfp.local, approval gate) and record the attempt."""
    source = builtin_source(model["name"])
    if source is None:
        return {
            "started": False,
            "reason": f"no built-in data for {model['name']}: retrain it with "
            f"`vigia risk train --data FILE --name {model['name']} …` (the gate still decides)",
        }
    from vigia.evaluate.gates import gate_config_text
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.risk import create_risk_pipeline, read_risk_outcome, risk_arguments
    from vigia.workspace import Workspace

    workspace = Workspace(workspace_root)
    gates = gate_config_text()
    run = run_pipeline_locally(
        create_risk_pipeline(image_ref("project", "local")),
        risk_arguments(workspace, gates, registered_name=model["name"], source=source),
        workspace,
        quiet=True,
    )
    result = read_risk_outcome(run)
    outcome = {
        "where": "local",
        "run": result["run"],
        "seconds": round(result["seconds"], 1),
        "version": result["version"],
        "approved": bool(result["decision"]["approved"]),
        "pushed": bool(result["pushed"]),
        "reasons": result["decision"]["reasons"],
    }
    paths = MonitorPaths(Path(), "", Path(), reports_root)
    record_retraining(paths, model["name"], int(model["version"]), as_of, outcome)
    return {"started": True, **outcome}


def run_risk_check(
    paths: MonitorPaths,
    model_name: str,
    config: RiskMonitorConfig,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    labels: str | Path | pd.DataFrame | None = None,
    pushgateway: str = "",
    retrain: bool = True,
    workspace_root: Path | None = None,
    evidently: bool = True,
) -> RiskOutcome:
    """Check the live version of ``model_name``, write the results, retrain if decided.

    Args:
        paths: Where to read (store, registry, payload log) and write (reports).
        model_name: A registered risk classifier.
        config: Thresholds.
        start, end: The window of served requests (default: ``config.days`` up to the newest).
        labels: Outcomes that have arrived: a CSV path or a frame (``request_id``, ``row``,
            ``label``).
        pushgateway: Prometheus Pushgateway URL ("" = the textfile only).
        retrain: Start the risk pipeline on a retrain decision (needs ``workspace_root``).
        evidently: Add the reports to the Evidently project.
    """
    frame = read_labels(labels) if isinstance(labels, str | Path) else labels
    as_of = pd.Timestamp(end) if end is not None else pd.Timestamp.now(tz="UTC")
    as_of = (as_of.tz_convert("UTC") if as_of.tzinfo else as_of).tz_localize(None).normalize()
    # The cooldown needs the live version before the check: read it from the store's pointer.
    from vigia.registry.store import ModelStore

    version = ModelStore(paths.store_root).current(model_name) or 0
    cooldown = recent_retrain(paths, model_name, version, as_of, config.retrain_cooldown_weeks)
    check, _ = check_risk_model(paths, model_name, config, start, end, frame, cooldown)
    published = publish_risk_check(check, paths, evidently=evidently, pushgateway=pushgateway)
    outcome = RiskOutcome(check, published)
    if check.decision.action == "retrain" and retrain and workspace_root is not None:
        as_of = pd.Timestamp(check.window["end"]).tz_localize(None).normalize()
        outcome.retraining = start_risk_retraining(
            check.model, as_of, workspace_root, paths.reports_root
        )
    return outcome
