"""Retraining after a monitoring check's retrain decision, for every model kind: the kind's
training pipeline — a ``kfp.local`` run here, a KFP run through the API on a cluster — whose
result goes through the normal approval gate. Every attempt is recorded in the monitoring
history (the retraining cooldown reads it).

Also a command, for pipeline steps: a KFP task process runs a trimmed-down ``kfp.dsl`` that cannot
define pipelines, so the ``monitor-retrain`` step starts this module in a fresh process::

    python -m vigia.workflows.retrain '{"model": {...}, "as_of": "...", "training": {...}, ...}'

prints the outcome as one JSON line (a user error: ``retrain: error: …`` on stderr, exit 2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.errors import VigiaError
from vigia.monitor.publish import record_retraining


def start_retraining(
    *,
    model: dict[str, Any],
    as_of: str,
    training: dict[str, Any],
    reports_root: str = "",
    workspace_root: str = "",
    kfp_host: str = "",
    kfp_token_env: str = "KFP_TOKEN",
    quiet: bool = True,
) -> dict[str, Any]:
    """Start the training pipeline after a retrain decision and return what came of it.

    On a cluster (``kfp_host``) a KFP run is submitted through the API and its id returned; the
    run's own gate decides later. Locally the pipeline runs under ``kfp.local`` in the workspace
    at ``workspace_root`` and the outcome (version, gate decision, pushed or not) is returned.
    Either way the attempt is recorded in ``reports_root/history.jsonl`` (retraining cooldown).

    Args:
        model: The checked model (``name``, ``version``: the live version at the check).
        as_of: The week of the check.
        training: Training pipeline arguments (tracking_uri, store_root, gate_config, …).
        reports_root: The monitoring reports folder ("" = record nothing).
        workspace_root: Local workspace (needed without ``kfp_host``).
        kfp_host: KFP API URL for a cluster run.
        kfp_token_env: Environment variable with the KFP bearer token.
        quiet: Show nothing of a local run on the console (its log file has everything).
    """
    arguments = {k: v for k, v in training.items() if v not in (None, "")}
    if kfp_host:
        from vigia.pipelines.submit import submit_run

        run_id = submit_run("training", kfp_host, arguments, "vigia", kfp_token_env)
        outcome: dict[str, Any] = {"where": "cluster", "run_id": run_id}
    else:
        if not workspace_root:
            raise VigiaError("retraining locally needs workspace_root (or kfp_host for a cluster)")
        from vigia.pipelines.training import LOCAL_BACKTEST_SHARDS
        from vigia.workflows.training import run_training_pipeline
        from vigia.workspace import Workspace

        arguments.setdefault("backtest_shards", LOCAL_BACKTEST_SHARDS)
        result = run_training_pipeline(Workspace(Path(workspace_root)), arguments, quiet=quiet)
        decision = result["decision"]
        candidate = result["scores"]["methods"][result["scores"]["candidate"]]
        outcome = {
            "where": "local",
            "run": result["run"],
            "seconds": round(result["seconds"], 1),
            "version": result["version"],
            "approved": bool(decision["approved"]),
            "pushed": bool(result["pushed"]),
            "relative_wis": candidate.get("relative_wis"),
            "reasons": decision["reasons"],
        }
    if reports_root:
        version = int(model["version"])
        record_retraining(Path(reports_root), model["name"], version, pd.Timestamp(as_of), outcome)
    return {"started": True, **outcome}


def builtin_source(model: str) -> str | None:
    """The built-in dataset a risk model of this name is trained on, if any."""
    from vigia.risk.datasets import DATASETS

    for name, dataset in DATASETS.items():
        if dataset.task().name == model:
            return name
    return None


def start_risk_retraining(
    model: dict[str, Any], as_of: pd.Timestamp, workspace_root: Path, reports_root: Path
) -> dict[str, Any]:
    """Run the risk pipeline for ``model`` (kfp.local, approval gate) and record the attempt.

    The data to retrain on must be known: a built-in dataset whose task has the model's name
    (``dengue-severity``, ``readmission-risk``); for any other model the outcome says how to
    retrain it (``vigia risk train``)."""
    source = builtin_source(model["name"])
    if source is None:
        return {
            "started": False,
            "reason": f"no built-in data for {model['name']}: retrain it with "
            f"`vigia risk train --data FILE --name {model['name']} …` (the gate still decides)",
        }
    from vigia.evaluate.gates import gate_config_text
    from vigia.workflows.risk_training import run_risk_training
    from vigia.workspace import Workspace

    result = run_risk_training(
        Workspace(workspace_root),
        gate_config_text(),
        quiet=True,
        registered_name=model["name"],
        source=source,
    )
    outcome = {
        "where": "local",
        "run": result["run"],
        "seconds": round(result["seconds"], 1),
        "version": result["version"],
        "approved": bool(result["decision"]["approved"]),
        "pushed": bool(result["pushed"]),
        "reasons": result["decision"]["reasons"],
    }
    record_retraining(reports_root, model["name"], int(model["version"]), as_of, outcome)
    return {"started": True, **outcome}


def main(argv: list[str] | None = None) -> int:
    """``python -m vigia.workflows.retrain JSON``: :func:`start_retraining` with the JSON's
    keyword arguments; prints the outcome as JSON."""
    from vigia.errors import exit_on_user_error

    args = sys.argv[1:] if argv is None else argv
    with exit_on_user_error("retrain"):
        outcome = start_retraining(**json.loads(args[0]))
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
