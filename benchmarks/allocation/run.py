"""Allocation backtest: unmet demand of forecast-driven allocation vs the naive rules.

Over the past origins of the forecast backtest (default: the last 2 years, 2021-W01 … 2022-W48
on the Peru panel), each rule splits the same budget among the 21 departments and is scored on
the demand that actually followed in the next ``weeks`` weeks:

- ``forecast:<method>``: newsvendor on that method's 23 quantiles (data up to the origin only);
- ``last_4_weeks``: in proportion to each department's cases in the last 4 weeks;
- ``population``: in proportion to the INEI 2017 census population.

The budget at an origin = factor × the national demand of the last ``weeks`` weeks (known at the
origin), for several factors. One forecast backtest, reused for every factor.

    .venv/bin/python -m benchmarks.allocation.run [--method xgboost] [--factors 0.75,1,1.5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "allocation.json"


def main() -> None:
    from vigia.allocate.backtest import backtest_allocation, forecast_backtests, format_backtest
    from vigia.allocate.population import peru_population
    from vigia.allocate.resources import get_resource
    from vigia.data.ingest import ingest_panel

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", default="xgboost")
    parser.add_argument("--resource", default="test_kits")
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--refit-every", type=int, default=13)
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--factors", default="0.75,1.0,1.5")
    parser.add_argument("--floor-per-100k", type=float, default=0.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    before = machine_info()
    panel, _ = ingest_panel("peru")
    started = time.perf_counter()
    forecasts = forecast_backtests(
        panel, args.method, args.years, args.refit_every, 0, lambda m: print("  " + m, flush=True)
    )
    forecast_seconds = time.perf_counter() - started
    resource = get_resource(args.resource)
    results = {}
    for factor in (float(f) for f in args.factors.split(",")):
        started = time.perf_counter()
        outcome = backtest_allocation(
            panel,
            forecasts,
            resource,
            peru_population(),
            weeks=args.weeks,
            budget_factor=factor,
            floor_per_100k=args.floor_per_100k,
        )
        summary = outcome.summary()
        summary["allocation_seconds"] = round(time.perf_counter() - started, 2)
        results[f"{factor:g}"] = summary
        print(
            f"\nbudget = {factor:g} × last {args.weeks} weeks' national demand; "
            f"{summary['origins']} origins ({summary['first_origin']} … {summary['last_origin']}); "
            f"demand {summary['actual_demand']:,.0f}, budget {summary['budget_total']:,.0f}, "
            f"unavoidable unmet {summary['unavoidable_unmet']:,.0f} {resource.unit}s"
        )
        print(format_backtest(summary))
    document = {
        "benchmark": "allocation",
        "command": "python -m benchmarks.allocation.run "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items() if k != "out"),
        "forecast_backtest_seconds": round(forecast_seconds, 1),
        "machine_before": before,
        "machine_after": machine_info(),
        "results": results,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(document, indent=2), encoding="utf-8")
    print(f"\nforecast backtest {forecast_seconds:.0f}s; load {before['load_average_1_5_15']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
