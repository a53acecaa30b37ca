"""Backtest fan-out: what splitting the backtest into shards costs under kfp.local.

The training pipeline's backtest steps (plan → ParallelFor shards → merge, the same components)
behind an ingest step, run under kfp.local (subprocess runner) once with ``backtest_shards=1`` and
once with ``--shards``, each in a fresh workspace; plus the same backtest as one in-process call
(``backtest_candidate``). Wall time and CPU time (this process and its task subprocesses); the
scores of the split run are checked to equal the single call's (timings aside).

    .venv/bin/python -m benchmarks.backtest_fanout.run [--regions PIURA,LORETO] [--years 1]
"""

# (no `from __future__ import annotations`: KFP reads the pipeline function's annotations)

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from kfp import dsl

from benchmarks.machine import cpu_seconds, machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "backtest_fanout.json"


def backtest_pipeline(image: str) -> Any:
    """ingest → the training pipeline's backtest fan-out (plan → ParallelFor shards → merge)."""
    from vigia.components import make_component
    from vigia.components.ingest import ingest
    from vigia.pipelines.training import fan_out_backtest, make_backtest_ops

    ingest_op, backtest_ops = make_component(ingest, image), make_backtest_ops(image)

    @dsl.pipeline(name="vigia-backtest-fanout")
    def pipeline(
        regions: str, method: str, backtest_years: float, refit_every: int, backtest_shards: int
    ) -> None:
        ingested = ingest_op(source="peru", region_col="region", date_col="week_start",
                             target_col="cases", level="department", regions=regions, start="",
                             end="")  # fmt: skip
        fan_out_backtest(backtest_ops, ingested.outputs["panel"], method=method, seed=0,
                         backtest_years=backtest_years, refit_every=refit_every,
                         backtest_shards=backtest_shards, source="peru")  # fmt: skip

    return pipeline


def timed(work: Any) -> tuple[Any, float, float]:
    """``work()``'s result, wall seconds, CPU seconds (this process and its children)."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    result = work()
    return result, time.perf_counter() - wall, cpu_seconds() - cpu


def kfp_local(root: Path, args: argparse.Namespace, shards: int) -> dict[str, Any]:
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.workspace import Workspace

    ws = Workspace(root / f"shards-{shards}").ensure()
    arguments = {"regions": args.regions, "method": args.method, "backtest_years": args.years,
                 "refit_every": args.refit_every, "backtest_shards": shards}  # fmt: skip
    pipeline = backtest_pipeline(image_ref("project", "local"))
    run, wall, cpu = timed(lambda: run_pipeline_locally(pipeline, arguments, ws, quiet=True))
    scores = json.loads(run.output("backtest-merge", "scores").read_text(encoding="utf-8"))
    ran = len(run.iterations("backtest-shard", "forecasts"))
    return {"shards": ran, "wall_s": round(wall, 1), "cpu_s": round(cpu, 1), "scores": scores}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--regions", default="", help="comma-separated subset (default: all)")
    parser.add_argument("--years", type=float, default=1.0, help="years of backtest origins")
    parser.add_argument("--refit-every", type=int, default=13)
    parser.add_argument("--method", default="xgboost")
    parser.add_argument("--shards", type=int, default=4, help="backtest_shards of the split run")
    args = parser.parse_args()
    from vigia.data.ingest import ingest_panel
    from vigia.training import backtest_candidate

    load_before = [round(x, 2) for x in os.getloadavg()]
    panel, _ = ingest_panel("peru", regions=args.regions)
    plain, plain_wall, plain_cpu = timed(
        lambda: backtest_candidate(
            panel, args.method, 0, args.years, args.refit_every, source="peru"
        )
    )
    with tempfile.TemporaryDirectory(prefix="vigia-bench-") as tmp:
        one = kfp_local(Path(tmp), args, 1)
        split = kfp_local(Path(tmp), args, args.shards)
    same = json.loads(json.dumps({**plain, "seconds": None})) == {
        **split["scores"],
        "seconds": None,
    }
    same = same and {**one["scores"], "seconds": None} == {**split["scores"], "seconds": None}
    result = {
        "benchmark": "backtest_fanout",
        "settings": vars(args),
        "origins": plain["origins"],
        "in_process_call": {"wall_s": round(plain_wall, 1), "cpu_s": round(plain_cpu, 1)},
        "kfp_local_one_shard": {k: v for k, v in one.items() if k != "scores"},
        "kfp_local_split": {k: v for k, v in split.items() if k != "scores"},
        "split_over_one_shard": {
            "wall": round(split["wall_s"] / one["wall_s"], 2),
            "cpu": round(split["cpu_s"] / one["cpu_s"], 2),
        },
        "scores_identical": same,
        "load_average_before": load_before,
        "machine": machine_info(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"in-process backtest_candidate: {plain_wall:6.1f} s wall {plain_cpu:6.1f} s CPU")
    for label, run in (
        ("kfp.local, 1 shard:", one),
        (f"kfp.local, {split['shards']} shards:", split),
    ):
        print(f"{label:<21}{run['wall_s']:9.1f} s wall {run['cpu_s']:6.1f} s CPU")
    print(f"scores identical: {same}   (wrote {RESULTS})")


if __name__ == "__main__":
    main()
