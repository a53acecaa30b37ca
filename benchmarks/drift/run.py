"""Drift check and monitoring pipeline speed.

1. A drift check on 100,000 logged rows × 20 features (goal ≤ 15 s): rows logged by the real
   forecast servable and payload writer (2022 weeks of the Peru panel, every region, many
   requests), read back from the payload log, then one Evidently data-drift report against the
   training feature table. Reading, parsing and the Evidently report are timed separately;
   ``import evidently`` is timed on its own.
2. The monitoring pipeline (kfp.local, every step a subprocess) over a week of logs (goal ≤ 60 s):
   seven daily payload files, one request every five minutes with all 21 regions.

The live model both parts monitor comes from the real training pipeline (kfp.local, lineage and
reference through MLflow); its training is set-up and not timed.

    .venv/bin/python -m benchmarks.drift.run [--rows 100000] [--method xgboost]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "drift.json"
MODEL = "dengue-forecast"
CUT_OFF = "2021-12-26"
FEATURES = 20


def train_live_model(ws: Any, method: str) -> float:
    """The training pipeline on data up to the cut-off (set-up, returns its seconds)."""
    from vigia.evaluate.gates import gate_config_text
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import (
        create_training_pipeline,
        read_training_outcome,
        training_arguments,
    )

    arguments = training_arguments(
        ws, gate_config_text(None), method=method, end=CUT_OFF, backtest_years=0.25
    )
    run = run_pipeline_locally(
        create_training_pipeline(image_ref("project", "local")), arguments, ws, quiet=True
    )
    outcome = read_training_outcome(run)
    if not outcome["pushed"]:
        raise SystemExit(f"the benchmark's model was not approved: {outcome['decision']}")
    return run.seconds


def log_rows(ws: Any, rows: int) -> int:
    """Log about ``rows`` forecast rows: requests of every region × every 2022 week."""
    import pandas as pd

    from vigia.data.ingest import ingest_panel
    from vigia.monitor.replay import serve_offline, weekly_request
    from vigia.registry.store import ModelStore

    panel, _ = ingest_panel("peru")
    weeks = sorted(w for w in panel["week_start"].unique() if w > pd.Timestamp(CUT_OFF))
    batches: list[list[dict[str, Any]]] = [[], []]  # the server takes ≤ 1,000 rows a request
    for k, week in enumerate(weeks):
        batches[k % 2] += weekly_request(panel, week)["instances"]
    per_pair = sum(len(b) for b in batches)
    requests = [{"instances": b} for b in batches] * max(1, round(rows / per_pair))
    serve_offline(ModelStore(ws.models).current_dir(MODEL), requests, ws.payload_logs, MODEL)
    return sum(len(r["instances"]) for r in requests)


def drift_on_logged_rows(ws: Any) -> dict[str, Any]:
    from vigia.monitor.config import MonitorConfig
    from vigia.monitor.reference import live_model, reference_features
    from vigia.monitor.window import logged_forecasts
    from vigia.payloads import read_payloads

    started = time.perf_counter()
    import evidently  # noqa: F401 - timed on its own

    import_seconds = time.perf_counter() - started
    from vigia.monitor.drift import drift_check

    model = live_model(ws.models, ws.tracking_uri, MODEL)
    reference = reference_features(model, ws.tracking_uri, ws.reports / "bench-cache")
    started = time.perf_counter()
    records, skipped = read_payloads(ws.payload_logs / MODEL)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    logged = logged_forecasts(records, version=model.version)
    parse_seconds = time.perf_counter() - started
    # Every logged row counts here (no de-duplication by region and origin): 100,000 rows.
    inputs = _all_rows(records)
    # 20 testable features: the forecast features that vary in the reference (the calendar
    # ones included here, which a check normally leaves out).
    config = MonitorConfig(exclude=())
    columns = [
        c for c in logged.feature_columns if c in reference.columns and reference[c].nunique() > 1
    ][:FEATURES]
    started = time.perf_counter()
    result = drift_check(reference, inputs, columns, config)
    drift_seconds = time.perf_counter() - started
    return {
        "rows": len(inputs),
        "features": len(columns),
        "feature_names": columns,
        "reference_rows": len(reference),
        "skipped_lines": skipped,
        "import_evidently_s": round(import_seconds, 2),
        "read_payload_log_s": round(read_seconds, 2),
        "parse_rows_s": round(parse_seconds, 2),
        "evidently_drift_report_s": round(drift_seconds, 2),
        "drift_check_total_s": round(read_seconds + parse_seconds + drift_seconds, 2),
        "drift_share": result.share,
        "goal_s": 15,
    }


def _all_rows(records: list[dict[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame([row for record in records for row in record["inputs"]])


def log_a_week(ws: Any, per_day: int) -> int:
    """Seven daily files: ``per_day`` requests a day (all regions, the latest week each time)."""
    import pandas as pd

    from vigia.data.ingest import ingest_panel
    from vigia.monitor.replay import weekly_request
    from vigia.payloads import PayloadWriter, payload_record
    from vigia.registry.store import ModelStore
    from vigia.servables.kinds import load_servable

    panel, _ = ingest_panel("peru")
    servable = load_servable(ModelStore(ws.models).current_dir(MODEL))
    weeks = [pd.Timestamp(CUT_OFF) + pd.Timedelta(weeks=k) for k in range(1, 8)]
    answers = []
    for week in weeks:  # one servable call per distinct request; the log repeats them
        batch = servable.parse_v1(weekly_request(panel, week))
        answers.append(servable.payload_rows(batch, servable.predict(batch)))
    writer = PayloadWriter(ws.payload_logs, queue_size=7 * per_day + 1)  # drop nothing
    start = datetime.now(UTC) - timedelta(days=7)
    for day in range(7):
        inputs, outputs = answers[day]
        for k in range(per_day):
            moment = start + timedelta(days=day, seconds=k * 86400 / per_day)
            writer.submit(
                MODEL,
                payload_record(
                    request_id=f"bench-{day}-{k}",
                    model=MODEL,
                    version=int(servable.manifest["version"]),
                    kind="forecaster",
                    protocol="v1",
                    latency_ms=5.0,
                    inputs=inputs,
                    outputs=outputs,
                    ts=moment.isoformat(timespec="milliseconds"),
                ),
            )
    writer.close(timeout=120)
    return writer.stats.written


def pipeline_over_a_week(ws: Any) -> dict[str, Any]:
    from vigia.evaluate.gates import gate_config_text
    from vigia.images import image_ref
    from vigia.monitor.config import monitor_config_text
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.monitoring import create_monitoring_pipeline, monitoring_arguments

    arguments = monitoring_arguments(ws, gate_config_text(None), monitor_config_text(None))
    started = time.perf_counter()
    run = run_pipeline_locally(
        create_monitoring_pipeline(image_ref("project", "local")), arguments, ws, quiet=True
    )
    seconds = time.perf_counter() - started
    decision = json.loads(run.output("monitor-decide", "decision").read_text(encoding="utf-8"))
    return {
        "pipeline_s": round(seconds, 1),
        "decision": decision["decision"]["action"],
        "retrained": run.ran("monitor-retrain"),
        "goal_s": 60,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--per-day", type=int, default=288, help="requests per day (part 2)")
    parser.add_argument("--method", default="xgboost")
    args = parser.parse_args()

    from vigia.training import passive_openmp
    from vigia.workspace import Workspace

    passive_openmp()  # as the monitoring commands do (benchmarks/drift/openmp_wait.py)
    result: dict[str, Any] = {"machine": machine_info(), "method": args.method}
    with tempfile.TemporaryDirectory(prefix="vigia-bench-drift-") as tmp:
        ws = Workspace(Path(tmp) / "drift").ensure()
        result["training_setup_s"] = round(train_live_model(ws, args.method), 1)
        result["logged_rows"] = log_rows(ws, args.rows)
        result["drift_check"] = drift_on_logged_rows(ws)
        print(json.dumps(result["drift_check"], indent=2))

        week = Workspace(Path(tmp) / "week").ensure()
        train_live_model(week, args.method)
        result["week_of_logs"] = {"requests": log_a_week(week, args.per_day)}
        result["week_of_logs"].update(pipeline_over_a_week(week))
        print(json.dumps(result["week_of_logs"], indent=2))
    result["machine_after"] = machine_info()["load_average_1_5_15"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
