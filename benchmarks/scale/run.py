"""Cost curve: how Vigía's time and memory grow with the number of series.

Sizes: Peru's 21 departments, 119 provinces and 541 districts with a notified case (the real
MINSA line list, ``--level``), and 5,570 series simulated from the districts
(``benchmarks/scale/simulate.py``: InfoDengue's municipality count). Stages, each in a fresh
subprocess so its peak RSS is its own:

- ``fit``: one XGBoost fit (``--trees`` per horizon, 23 quantiles, 4 horizons) on the panel;
- ``backtest``: the evaluate step's rolling-origin backtest (persistence, seasonal naive and
  that XGBoost over ``--backtest-years`` of origins, refit every 13);
- ``v2_1000``: a 1,000-row V2 request in process (parse → predict → V2 outputs → payload rows;
  the server's work without HTTP), cache off, median of 5, after the bundle is loaded (its load
  time is reported too);
- ``drift``: one Evidently data-drift check, training feature table vs the last 4 weeks of every
  region;
- ``pipeline``: the training pipeline end to end under kfp.local (ingest → … → push →
  dashboard) with ``--pipeline-method`` (default seasonal naive: it times the platform, not a
  model) over ``--pipeline-years`` of backtest origins, behind a gate that approves any model
  (so register, push and the dashboard run at every size).

Each row has wall and CPU seconds (CPU includes the stage's child processes; the machine is
shared, so CPU seconds are the steadier measure) and the method used. Results go to
``benchmarks/results/scale.json`` and a log-log plot to ``docs/img/scale.png``::

    .venv/bin/python -m benchmarks.scale.run [--sizes 21,119,541,5570] [--stages fit,...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.machine import cpu_seconds, machine_info

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "scale.json"
PLOT = ROOT / "docs" / "img" / "scale.png"
SIZES = {21: "department", 119: "province", 541: "district", 5570: "simulated"}
STAGES = ("fit", "backtest", "v2_1000", "drift", "pipeline")
MODEL = "dengue-forecast"
# The pipeline stage times the platform, so every run goes the whole way (register → push with
# its load-and-query check → dashboard): a gate that approves any finite backtest.
PASS_THROUGH_GATE = "[forecast]\nmax_relative_wis = 1e9\n"


# --- one stage, in a child process --------------------------------------------------------------
def load_panel(size: int, cache: Path) -> Any:
    """The panel of ``size`` series (cached as Parquet for the other stages)."""
    import pandas as pd

    path = cache / f"panel-{size}.parquet"
    if path.exists():
        return pd.read_parquet(path)
    if SIZES[size] == "simulated":
        from benchmarks.scale.simulate import simulated_panel

        panel = simulated_panel(size)
    else:
        from vigia.data.peru import peru_weekly_panel

        panel = peru_weekly_panel(level=SIZES[size]).panel
    if panel["region"].nunique() != size:
        raise SystemExit(f"{SIZES[size]} panel has {panel['region'].nunique()} series, not {size}")
    panel.to_parquet(path, index=False)
    return panel


def xgboost(trees: int) -> Any:
    from vigia.models.xgboost_forecaster import XGBoostForecaster

    return XGBoostForecaster(n_estimators=trees, n_jobs=1)


def stage_fit(panel: Any, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    from vigia.models.bundle import write_forecast_bundle

    model = xgboost(args.trees).fit(panel)
    write_forecast_bundle(cache / f"bundle-{args.size}", model, panel, {"data_hash": "scale"})
    return {"method": f"xgboost ({args.trees} trees per horizon)"}


def stage_backtest(panel: Any, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    from vigia.evaluate.backtest import default_origins, rolling_origin_backtest
    from vigia.models.catalog import make_forecaster

    origins = default_origins(panel, years=args.backtest_years, max_horizon=4)
    factories = {
        "persistence": lambda: make_forecaster("persistence"),
        "seasonal_naive": lambda: make_forecaster("seasonal_naive"),
        "xgboost": lambda: xgboost(args.trees),
    }
    result = rolling_origin_backtest(panel, factories, origins=origins, refit_every=13)
    scores = result.scores_json()
    return {
        "method": f"persistence, seasonal naive, xgboost ({args.trees} trees)",
        "origins": len(origins),
        "relative_wis_xgboost": scores["methods"]["xgboost"]["relative_wis"],
    }


def stage_v2_1000(panel: Any, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    import pandas as pd

    from vigia.servables.base import Tensor
    from vigia.servables.kinds import load_servable

    bundle = cache / f"bundle-{args.size}"
    if not bundle.exists():
        raise SystemExit(f"run the fit stage for {args.size} series first")
    started = time.perf_counter()
    servable = load_servable(bundle)
    load_s = time.perf_counter() - started
    servable.cache = None  # type: ignore[attr-defined]
    # 1,000 rows: the latest weeks of as many regions as needed (each region's recent weeks).
    history = pd.read_parquet(bundle / "history.parquet").sort_values(["week_start", "region"])
    per_region = max(1, -(-1000 // history["region"].nunique()))
    rows = history.groupby("region").tail(per_region).tail(1000)
    regions = np.array(rows["region"].tolist(), dtype=object)
    weeks = np.array([f"{w:%Y-%m-%d}" for w in rows["week_start"]], dtype=object)
    times, cpu = [], []
    for _ in range(6):
        tensors = [
            Tensor("region", "BYTES", [1000], data=regions),
            Tensor("week_start", "BYTES", [1000], data=weeks),
        ]
        began, began_cpu = time.perf_counter(), time.process_time()
        batch = servable.parse_v2(servable.check_v2(tensors))
        result = servable.predict(batch)
        servable.v2_outputs(batch, result)
        times.append(time.perf_counter() - began)
        cpu.append(time.process_time() - began_cpu)
        servable.payload_rows(batch, result)  # the payload writer's share, off the request path
    return {
        "method": f"xgboost ({args.trees} trees)",
        "request_rows": 1000,
        # parse → predict → V2 outputs (the handler time a server logs); median of 5
        "median_ms": round(float(np.median(times[1:])) * 1000, 1),
        "median_cpu_ms": round(float(np.median(cpu[1:])) * 1000, 1),
        "load_s": round(load_s, 2),
    }


def stage_drift(panel: Any, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    from vigia.features.forecast import FEATURES, build_features
    from vigia.monitor.config import MonitorConfig
    from vigia.monitor.drift import drift_check

    reference = build_features(panel)
    last = reference["origin"] > reference["origin"].max() - np.timedelta64(28, "D")
    result = drift_check(reference, reference[last], list(FEATURES), MonitorConfig())
    return {
        "method": "Evidently data drift (wasserstein)",
        "reference_rows": len(reference),
        "current_rows": int(last.sum()),
        "assessed": result.assessed,
    }


def stage_pipeline(panel: Any, args: argparse.Namespace, cache: Path) -> dict[str, Any]:
    from vigia.evaluate.gates import gate_config_text, parse_gate_config
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import create_training_pipeline, training_arguments
    from vigia.workspace import Workspace

    level = SIZES[args.size]
    source = {"source": "peru", "level": level}
    if level == "simulated":
        path = cache / f"panel-{args.size}.csv"
        panel.to_csv(path, index=False)
        source = {"source": str(path)}
    shutil.rmtree(cache / f"ws-{args.size}", ignore_errors=True)  # no cached steps of a rerun
    ws = Workspace(cache / f"ws-{args.size}").ensure()
    arguments = training_arguments(
        ws,
        PASS_THROUGH_GATE,
        method=args.pipeline_method,
        backtest_years=args.pipeline_years,
        **source,
    )
    run = run_pipeline_locally(
        create_training_pipeline(image_ref("project", "local")), arguments, ws, quiet=True
    )
    if not run.ran("push"):
        raise SystemExit(f"the pipeline at {args.size} series did not push: see {run.log}")
    # How many regions the default gate's per-region check would judge (the others are too
    # near-empty for a stable WIS ratio): docs/scale.md, "District level".
    scores = json.loads(run.output("evaluate", "scores").read_text(encoding="utf-8"))
    floor = parse_gate_config(gate_config_text(None), "forecast")["region_min_baseline_wis"]
    by_region = scores["by_region"][scores["candidate"]].values()
    return {
        "regions_judged_by_region_check": sum(r["baseline_wis"] >= floor for r in by_region),
        "method": args.pipeline_method,
        "backtest_years": args.pipeline_years,
        "tasks": len(run.tasks),
        "pushed": True,
    }


def run_stage(args: argparse.Namespace) -> None:
    """Child mode: one stage at one size, its measures as one JSON line on stdout."""
    from vigia.serving.runtime import limit_math_threads

    limit_math_threads()
    cache = Path(args.cache)
    panel = load_panel(args.size, cache)
    wall, cpu = time.perf_counter(), cpu_seconds()
    extra = globals()[f"stage_{args.stage}"](panel, args, cache)
    cpu = cpu_seconds() - cpu
    peak = max(  # KB on Linux
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    )
    row = {
        "size": args.size,
        "panel": SIZES[args.size],
        "stage": args.stage,
        "rows": len(panel),
        "wall_s": round(time.perf_counter() - wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mb": round(peak / 1024, 1),
        **extra,
    }
    print("RESULT " + json.dumps(row), flush=True)


# --- the orchestrator ---------------------------------------------------------------------------
def slopes(rows: list[dict[str, Any]], key: str) -> dict[str, float]:
    """Per stage, the log-log slope of ``key`` against series (1 = linear)."""
    out = {}
    for stage in STAGES:
        points = [(r["size"], r[key]) for r in rows if r["stage"] == stage and r.get(key)]
        if len(points) >= 2:
            x, y = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            out[stage] = round(float(np.polyfit(x, y, 1)[0]), 2)
    return out


def plot(rows: list[dict[str, Any]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for stage in STAGES:
        points = sorted((r["size"], r["cpu_s"], r["peak_rss_mb"]) for r in rows
                        if r["stage"] == stage)  # fmt: skip
        if not points:
            continue
        sizes = [p[0] for p in points]
        left.plot(sizes, [max(p[1], 1e-3) for p in points], marker="o", label=stage)
        right.plot(sizes, [p[2] for p in points], marker="o", label=stage)
    xs = np.array([21, 5570])
    for axis in (left, right):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("series")
        axis.grid(True, which="both", alpha=0.3)
    cpu_points = [r["cpu_s"] for r in rows if r["cpu_s"] > 0]
    if cpu_points:
        anchor = min(cpu_points)
        left.plot(xs, anchor * xs / xs[0], "k--", alpha=0.4, label="linear")
    left.set_ylabel("CPU seconds")
    right.set_ylabel("peak RSS (MB)")
    left.legend(fontsize=8)
    left.set_title("Time (CPU s, incl. child processes)")
    right.set_title("Peak resident memory")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="21,119,541,5570")
    parser.add_argument("--stages", default=",".join(STAGES))
    parser.add_argument("--trees", type=int, default=20, help="XGBoost trees per horizon")
    parser.add_argument("--backtest-years", type=float, default=0.5)
    parser.add_argument("--pipeline-method", default="seasonal_naive")
    parser.add_argument("--pipeline-years", type=float, default=0.5)
    parser.add_argument("--cache", default=None, help="keep panels and bundles here")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        return run_stage(args)
    sizes = [int(s) for s in args.sizes.split(",")]
    stages = [s for s in args.stages.split(",") if s]
    unknown = [s for s in sizes if s not in SIZES] + [s for s in stages if s not in STAGES]
    if unknown:
        raise SystemExit(f"unknown size or stage: {unknown}; sizes {list(SIZES)}, stages {STAGES}")
    previous = json.loads(args.out.read_text()) if args.out.exists() else {"rows": []}
    rows = [r for r in previous["rows"] if (r["size"], r["stage"]) not in
            {(s, t) for s in sizes for t in stages}]  # fmt: skip
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="vigia-scale-") as tmp:
        cache = Path(args.cache or tmp)
        cache.mkdir(parents=True, exist_ok=True)
        for size in sizes:
            for stage in stages:
                load = [round(x, 2) for x in os.getloadavg()]
                print(f"… {size} series: {stage} (load {load})", flush=True)
                command = [
                    sys.executable, "-m", "benchmarks.scale.run", "--stage", stage,
                    "--size", str(size), "--cache", str(cache), "--trees", str(args.trees),
                    "--backtest-years", str(args.backtest_years),
                    "--pipeline-method", args.pipeline_method,
                    "--pipeline-years", str(args.pipeline_years),
                ]  # fmt: skip
                done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
                found = [x for x in done.stdout.splitlines() if x.startswith("RESULT ")]
                if done.returncode != 0 or not found:
                    print(done.stdout[-2000:], done.stderr[-3000:], sep="\n")
                    raise SystemExit(f"{stage} at {size} series failed")
                row = {**json.loads(found[-1][7:]), "load_before": load}
                print(f"  {json.dumps(row)}", flush=True)
                rows.append(row)
                save(args.out, rows, machine)
    save(args.out, rows, machine)
    print(table(rows))
    if args.out.resolve() == RESULTS:  # the docs' plot is drawn from the docs' results only
        plot(rows, PLOT)
        print(f"plot: {PLOT}")
    print(f"results: {args.out}")


def table(rows: list[dict[str, Any]]) -> str:
    """Markdown: a row per stage, a column per size; CPU s (wall s) and peak RSS."""
    sizes = sorted({r["size"] for r in rows})
    slope = slopes(rows, "cpu_s")
    lines = [
        "| stage | " + " | ".join(f"{s:,} series" for s in sizes) + " | log-log slope (CPU) |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for stage in STAGES:
        found = {r["size"]: r for r in rows if r["stage"] == stage}
        if not found:
            continue
        cells = [
            f"{found[s]['cpu_s']:g} s ({found[s]['wall_s']:g} s), {found[s]['peak_rss_mb']:.0f} MB"
            if s in found
            else "–"
            for s in sizes
        ]
        lines.append(f"| {stage} | " + " | ".join(cells) + f" | {slope.get(stage, '–')} |")
    return "\n".join(lines)


def save(path: Path, rows: list[dict[str, Any]], machine: dict[str, Any]) -> None:
    rows = sorted(rows, key=lambda r: (STAGES.index(r["stage"]), r["size"]))
    document = {
        "benchmark": "scale",
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "log_log_slope_cpu": slopes(rows, "cpu_s"),
        "log_log_slope_peak_rss": slopes(rows, "peak_rss_mb"),
        "rows": rows,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
