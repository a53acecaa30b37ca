"""The forecasting benchmark: every method on the Peru department panel, the issue's protocol.

Origins 2021-W01 … 2022-W48 (100 weekly origins), 21 departments × horizons 1–4, the 23 FluSight
quantiles, WIS on raw counts, refit every 13 weeks, relative WIS against persistence on the same
rows. Prints the method table (overall, WIS parts, per horizon), the per-region table, the
fit + predict time of each method over the backtest, and times one fit of the hybrid on the
whole panel (what the training pipeline's train step does). Writes everything, with the machine
and its load, to ``benchmarks/results/forecast_backtest.json`` (+ ``.md``).

    .venv/bin/python -m benchmarks.forecast_backtest.run [--methods all] [--panel FILE.csv]

Equivalent CLI (without the timing of the final fit):
``vigia forecast backtest --methods all --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="all", help="comma-separated methods or 'all'")
    parser.add_argument("--panel", default=None, help="panel CSV (default: the Peru panel)")
    parser.add_argument("--refit-every", type=int, default=13)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for scores, hubverse forecasts and report.html "
        "(default: the workspace's reports/forecast_backtest)",
    )
    args = parser.parse_args()

    from vigia.evaluate.forecast_scores import method_table, region_table
    from vigia.models.catalog import make_forecaster, parse_methods
    from vigia.reports.forecast_outputs import write_backtest_outputs
    from vigia.reports.hubverse import location_codes
    from vigia.training import PERU, backtest_methods, ingest_panel
    from vigia.workspace import Workspace

    out = args.out or Workspace.from_env().ensure().reports / "forecast_backtest"
    before = machine_info()
    panel, card = ingest_panel(args.panel or PERU)
    methods = parse_methods(args.methods)
    started = time.perf_counter()
    result = backtest_methods(
        panel,
        methods,
        years=args.years,
        refit_every=args.refit_every,
        progress=lambda m: print(f"  {m} ({time.perf_counter() - started:.0f}s)", flush=True),
    )
    backtest_seconds = time.perf_counter() - started
    scores = result.scores_json()
    out.mkdir(parents=True, exist_ok=True)
    (out / "scores.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
    write_backtest_outputs(result, panel, out, location_codes(panel["region"]))

    final = {}
    if "hybrid" in methods:
        started = time.perf_counter()
        hybrid = make_forecaster("hybrid").fit(panel)
        final = {"hybrid_fit_seconds": round(time.perf_counter() - started, 1)}
        final["hybrid"] = hybrid.describe()  # type: ignore[attr-defined]

    table = method_table(scores)
    regions = region_table(scores)
    timing = {name: round(s, 1) for name, s in result.seconds.items()}
    print(table, "\n\n" + regions)
    print(f"\nwrote {out}/scores.json, scores.md, hub/ (hubverse forecast hub), report.html")
    print(
        f"\nbacktest {backtest_seconds:.0f}s; fit + predict per method over the backtest: {timing}"
    )
    if final:
        print(f"one hybrid fit on the whole panel: {final['hybrid_fit_seconds']}s")
        print(f"hybrid weights and spread: {json.dumps(final['hybrid'])}")
    record = {
        "protocol": {
            "panel": card["source"],
            "regions": scores["regions"],
            "origins": scores["origins"],
            "first_origin": scores["first_origin"],
            "last_origin": scores["last_origin"],
            "horizons": scores["horizons"],
            "quantiles": len(scores["quantile_levels"]),
            "refit_every": args.refit_every,
        },
        "methods": scores["methods"],
        "by_horizon": scores["by_horizon"],
        "seconds": timing,
        "backtest_seconds": round(backtest_seconds, 1),
        **final,
        "machine_before": before,
        "machine_after": machine_info(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "forecast_backtest.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    (RESULTS / "forecast_backtest.md").write_text(
        f"# Forecast backtest\n\n{table}\n\n{regions}\n\nseconds: {timing}\n", encoding="utf-8"
    )


if __name__ == "__main__":
    main()
