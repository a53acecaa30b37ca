"""Monitor, step 5 (only after a retrain decision): start the training pipeline — a KFP run
through the API on a cluster, a ``kfp.local`` run on this machine. Its result goes through the
normal approval gate: a retrained model that is not better is registered but not pushed."""

from kfp.dsl import Dataset, Input


def monitor_retrain(
    decision: Input[Dataset],
    tracking_uri: str,
    store_root: str,
    artifact_root: str,
    gate_config: str,
    reports_root: str,
    workspace_root: str,
    kfp_host: str,
    kfp_token_env: str,
    source: str,
    region_col: str,
    date_col: str,
    target_col: str,
    level: str,
    regions: str,
    panel_options: str,
    method: str,
    model_name: str,
    backtest_years: float,
    refit_every: int,
    end: str,
) -> str:
    """Returns the retraining outcome as JSON."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    checked = json.loads(Path(decision.path).read_text(encoding="utf-8"))
    request = {
        "model": checked["model"],
        "as_of": checked["as_of"],
        "training": {
            "tracking_uri": tracking_uri,
            "store_root": store_root,
            "artifact_root": artifact_root,
            "gate_config": gate_config,
            "source": source,
            "region_col": region_col,
            "date_col": date_col,
            "target_col": target_col,
            "level": level,
            "regions": regions,
            "panel_options": panel_options,
            "method": method,
            "registered_name": model_name,
            "backtest_years": backtest_years,
            "refit_every": refit_every,
            "end": end,
        },
        "reports_root": reports_root,
        "workspace_root": workspace_root,
        "kfp_host": kfp_host,
        "kfp_token_env": kfp_token_env,
    }
    # This task's kfp is the trimmed runtime (no pipeline definitions): start the training
    # pipeline from a fresh process with the full SDK.
    env = {k: v for k, v in os.environ.items() if k != "_KFP_RUNTIME"}
    done = subprocess.run(
        [sys.executable, "-m", "vigia.workflows.retrain", json.dumps(request)],
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "", flush=True)
        print(f"monitor: error: retraining failed (exit {done.returncode})", file=sys.stderr)
        raise SystemExit(done.returncode)
    outcome = done.stdout.strip().splitlines()[-1]
    print(f"monitor: retraining {outcome}")
    return outcome
