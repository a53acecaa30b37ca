"""Start the training pipeline after a retrain decision: a ``kfp.local`` run here, a KFP run
through the API on a cluster. Its result goes through the normal approval gate.

Also a command, for pipeline steps: a KFP task process runs a trimmed-down ``kfp.dsl`` that cannot
define pipelines, so the ``monitor-retrain`` step starts this module in a fresh process::

    python -m vigia.pipelines.retrain '{"model": {...}, "as_of": "...", "training": {...}, ...}'

prints the outcome as one JSON line (a user error: ``retrain: error: …`` on stderr, exit 2).
"""

# (no `from __future__ import annotations`: this module sits among KFP pipeline modules)

import json
import sys
from pathlib import Path
from typing import Any


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
    import pandas as pd

    from vigia.errors import VigiaError
    from vigia.monitor.check import MonitorPaths
    from vigia.monitor.publish import record_retraining

    arguments = {k: v for k, v in training.items() if v not in (None, "")}
    if kfp_host:
        from vigia.pipelines.submit import submit_run

        run_id = submit_run("training", kfp_host, arguments, "vigia", kfp_token_env)
        outcome: dict[str, Any] = {"where": "cluster", "run_id": run_id}
    else:
        if not workspace_root:
            raise VigiaError("retraining locally needs workspace_root (or kfp_host for a cluster)")
        from vigia.images import image_ref
        from vigia.pipelines.local import run_pipeline_locally
        from vigia.pipelines.training import create_training_pipeline, read_training_outcome
        from vigia.workspace import Workspace

        workspace = Workspace(Path(workspace_root))
        run = run_pipeline_locally(
            create_training_pipeline(image_ref("project", "local")),
            arguments,
            workspace,
            quiet=quiet,
        )
        result = read_training_outcome(run)
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
        paths = MonitorPaths(Path(), "", Path(), Path(reports_root))
        record_retraining(paths, model["name"], int(model["version"]), pd.Timestamp(as_of), outcome)
    return {"started": True, **outcome}


def main(argv: list[str] | None = None) -> int:
    """``python -m vigia.pipelines.retrain JSON``: :func:`start_retraining` with the JSON's
    keyword arguments; prints the outcome as JSON."""
    from vigia.errors import exit_on_user_error

    args = sys.argv[1:] if argv is None else argv
    with exit_on_user_error("retrain"):
        outcome = start_retraining(**json.loads(args[0]))
    print(json.dumps(outcome))
    return 0


if __name__ == "__main__":
    sys.exit(main())
