"""Pipeline overhead: the training pipeline under kfp.local vs the same steps as plain calls.

Both run the same vigia functions on the same data with the same settings, each in a fresh
workspace; the ratio is what KFP's local orchestration costs (one subprocess per task, artifact
files, executor start-up). One run each, measured in the same invocation.

    .venv/bin/python -m benchmarks.pipeline_overhead.run [--regions PIURA,LORETO] [--years 2]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from benchmarks.machine import cpu_seconds, machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "pipeline_overhead.json"


def plain_chain(root: Path, args: argparse.Namespace, gate_text: str) -> float:
    """ingest → features → train → evaluate → register → push → dashboard as direct calls."""
    from vigia.data.ingest import ingest_panel, write_ingest_outputs
    from vigia.evaluate.gates import Decision, parse_gate_config
    from vigia.registry.tracking import Registry
    from vigia.reports.dashboard import write_dashboard
    from vigia.training import (
        candidate_metrics,
        evaluate_candidate,
        push_approved,
        train_forecaster,
        write_features,
    )
    from vigia.workspace import Workspace

    started = time.perf_counter()
    ws = Workspace(root / "plain").ensure()
    out = root / "plain-artifacts"
    out.mkdir()
    panel, card = ingest_panel("peru", regions=args.regions)
    write_ingest_outputs(panel, card, out / "panel", out / "card.json", out / "card.md")
    write_features(panel, out / "features", out / "catalog.json", out / "catalog.md")
    train_forecaster(panel, args.method, 0, out / "model", {"data_hash": card["content_hash"]})
    config = parse_gate_config(gate_text, "forecast")
    scores, decision = evaluate_candidate(panel, args.method, 0, config, None, years=args.years)
    (out / "decision.json").write_text(json.dumps(decision.to_dict()))
    registry = Registry(ws.tracking_uri, ws.artifacts)
    info = registry.log_training_run(
        experiment="dengue-forecast",
        registered_name="dengue-forecast",
        bundle=out / "model",
        params={"method": args.method},
        metrics=candidate_metrics(scores),
        tags={"vigia.data_hash": card["content_hash"]},
        artifacts={"data": out / "card.md", "features": out / "catalog.md"},
        approved=decision.approved,
    )
    if decision.approved:
        push_approved(
            out / "model",
            Decision.from_dict(decision.to_dict()),
            "dengue-forecast",
            info.version,
            ws.models,
            ws.tracking_uri,
        )
        write_dashboard(ws, out / "dashboard.html", model="dengue-forecast", weeks=4)
    return time.perf_counter() - started


def kfp_local(root: Path, args: argparse.Namespace, gate_text: str) -> float:
    """The same steps as the KFP pipeline under kfp.local (subprocess runner)."""
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import create_training_pipeline, training_arguments
    from vigia.workspace import Workspace

    started = time.perf_counter()
    ws = Workspace(root / "kfp").ensure()
    pipeline = create_training_pipeline(image_ref("project", "local"))
    arguments = training_arguments(
        ws, gate_text, regions=args.regions, method=args.method, backtest_years=args.years
    )
    run_pipeline_locally(pipeline, arguments, ws, quiet=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--years", type=float, default=2.0, help="years of backtest origins")
    parser.add_argument("--method", default="xgboost")
    args = parser.parse_args()
    from vigia.evaluate.gates import gate_config_text

    gate_text = gate_config_text()
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="vigia-bench-") as tmp:
        began = cpu_seconds()
        plain = plain_chain(Path(tmp), args, gate_text)
        middle = cpu_seconds()
        pipeline = kfp_local(Path(tmp), args, gate_text)
        plain_cpu, pipeline_cpu = middle - began, cpu_seconds() - middle
    result = {
        "benchmark": "pipeline_overhead",
        "settings": vars(args),
        "plain_functions_s": round(plain, 2),
        "kfp_local_s": round(pipeline, 2),
        "ratio_kfp_over_plain": round(pipeline / plain, 3),
        # CPU (this process and its tasks' processes): steadier than wall on a shared machine
        "plain_functions_cpu_s": round(plain_cpu, 2),
        "kfp_local_cpu_s": round(pipeline_cpu, 2),
        "cpu_ratio_kfp_over_plain": round(pipeline_cpu / plain_cpu, 3),
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"plain functions: {plain:7.1f} s")
    print(f"kfp.local:       {pipeline:7.1f} s")
    print(f"ratio:           {pipeline / plain:7.2f}x   (wrote {RESULTS})")
    print(
        f"CPU:             {plain_cpu:7.1f} s plain, {pipeline_cpu:.1f} s kfp.local: "
        f"{pipeline_cpu / plain_cpu:.2f}x"
    )


if __name__ == "__main__":
    main()
