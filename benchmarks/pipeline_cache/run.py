"""Pipeline cache: an unchanged rerun of the training pipeline under kfp.local vs its first run,
and a rerun after the data at the same path changed.

The three runs share one workspace: (1) first run on a panel CSV; (2) the same arguments again —
the pure steps (ingest, features, train, the backtest plan, shards and merge) come from
kfp.local's cache; the fingerprint, the gate (it reads the registry's champion), register,
push and dashboard run;
(3) the CSV rewritten in place with its last week removed — the fingerprint changes, so ingest
and everything after it run again. The goal (issue 14) is rerun / first ≤ 0.2.

    .venv/bin/python -m benchmarks.pipeline_cache.run [--regions PIURA,LORETO] [--years 2]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "pipeline_cache.json"
PURE = ("ingest", "features", "train", "backtest-plan", "backtest-shard", "backtest-merge")


def run_once(ws: Any, csv: Path, args: argparse.Namespace, gate_text: str) -> dict[str, Any]:
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import create_training_pipeline, training_arguments

    pipeline = create_training_pipeline(image_ref("project", "local"))
    arguments = training_arguments(
        ws, gate_text, source=str(csv), method=args.method, backtest_years=args.years
    )
    run = run_pipeline_locally(pipeline, arguments, ws, quiet=True)
    card = json.loads(run.output("ingest", "card_json").read_text(encoding="utf-8"))
    return {
        "seconds": round(run.seconds, 2),
        "cached": sorted(run.cached),
        "weeks": card["n_weeks"],
        "version": run.parameter("register"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--years", type=float, default=2.0, help="years of backtest origins")
    parser.add_argument("--method", default="xgboost")
    args = parser.parse_args()
    from vigia.data.ingest import ingest_panel
    from vigia.evaluate.gates import gate_config_text
    from vigia.workspace import Workspace

    gate_text = gate_config_text()
    panel, _ = ingest_panel("peru", regions=args.regions)
    with tempfile.TemporaryDirectory(prefix="vigia-bench-") as tmp:
        ws = Workspace(Path(tmp) / "ws").ensure()
        csv = Path(tmp) / "panel.csv"
        panel.to_csv(csv, index=False)
        first = run_once(ws, csv, args, gate_text)
        rerun = run_once(ws, csv, args, gate_text)
        last = panel["week_start"].max()
        panel[panel["week_start"] < last].to_csv(csv, index=False)  # same path, new content
        changed = run_once(ws, csv, args, gate_text)
    ratio = rerun["seconds"] / first["seconds"]
    result = {
        "benchmark": "pipeline_cache",
        "settings": vars(args),
        "first_run": first,
        "unchanged_rerun": rerun,
        "changed_data_rerun": changed,
        "ratio_rerun_over_first": round(ratio, 3),
        "goal": 0.2,
        "machine": machine_info(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for name, row in (("first run", first), ("unchanged rerun", rerun), ("changed data", changed)):
        print(f"{name:16s} {row['seconds']:7.1f} s  cached: {', '.join(row['cached']) or '-'}")
    print(f"rerun / first:   {ratio:7.2f}   (wrote {RESULTS})")
    if set(PURE) - set(rerun["cached"]) or set(PURE) & set(changed["cached"]):
        raise SystemExit("cache behaviour wrong: see the cached lists above")


if __name__ == "__main__":
    main()
