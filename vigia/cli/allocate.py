"""``vigia allocate``: send a limited resource where the forecast says it will be needed.

vigia allocate --resource test_kits --budget 20000 [--floor-per-100k 5] [--weeks 4]
vigia allocate --backtest --resource test_kits [--method xgboost] [--budget-factor 1.0]
vigia allocate --list
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigia.cli.common import workspace
from vigia.cli.output import print_json
from vigia.errors import VigiaError
from vigia.progress import Step, say

LATEST = "allocation"  # <out>/allocation.json and .csv


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "allocate",
        help="allocate a resource budget to regions from the live forecast (or backtest it)",
        description="Split a budget of whole units among regions so that the expected unmet "
        "demand over the next weeks is smallest (newsvendor on the forecast quantiles), after an "
        "equity floor per 100,000 people. With --backtest: compare with allocating by the last 4 "
        "weeks' cases and by population over past origins.",
    )
    parser.add_argument("--resource", help="resource name (see --list)")
    parser.add_argument("--budget", type=float, help="units available (whole number)")
    parser.add_argument(
        "--floor-per-100k",
        type=float,
        default=0.0,
        metavar="X",
        help="every region first gets at least X units per 100,000 people (default 0)",
    )
    parser.add_argument("--weeks", type=int, default=4, help="weeks ahead to cover (default 4)")
    parser.add_argument(
        "--population", type=Path, help="CSV region,population (default: INEI 2017 census, Peru)"
    )
    parser.add_argument("--resources", type=Path, help="resource definitions TOML")
    parser.add_argument("--model", default="dengue-forecast", help="registered forecast model")
    parser.add_argument(
        "--out", type=Path, help="output folder (default <workspace>/reports/allocation)"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--list", action="store_true", help="list the resources and exit")
    bt = parser.add_argument_group("backtest (with --backtest)")
    bt.add_argument("--backtest", action="store_true", help="backtest over past origins")
    bt.add_argument("--panel", default="peru", help="'peru' (default) or a weekly panel CSV")
    bt.add_argument("--method", default="xgboost", help="forecasting method (default xgboost)")
    bt.add_argument("--years", type=float, default=2.0, help="years of origins (default 2)")
    bt.add_argument("--refit-every", type=int, default=13, help="weeks between refits")
    bt.add_argument("--seed", type=int, default=0)
    bt.add_argument(
        "--budget-factor",
        type=float,
        default=1.0,
        help="budget at each origin = factor × national demand of the last --weeks weeks",
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace) -> int:
    from vigia.allocate.resources import get_resource, load_resources

    if args.list:
        for resource in load_resources(args.resources).values():
            say(
                f"{resource.name:<28} {resource.units_per_case:g} {resource.unit}/case  "
                f"[{resource.basis}]  {resource.label_en} / {resource.label_es}"
            )
        return 0
    if not args.resource:
        raise VigiaError("--resource is required (see `vigia allocate --list`)")
    resource = get_resource(args.resource, args.resources)
    if args.backtest:
        return _backtest(args, resource)
    if args.budget is None:
        raise VigiaError("--budget is required (units of the resource available)")
    return _allocate(args, resource)


def _allocate(args: argparse.Namespace, resource: Any) -> int:
    from vigia.allocate.live import live_forecast
    from vigia.allocate.plan import plan_allocation
    from vigia.allocate.population import load_population

    ws = workspace(args)
    population = load_population(args.population)
    live = live_forecast(ws.models, args.model)
    plan = plan_allocation(
        live.forecast, resource, args.budget, population, args.weeks, args.floor_per_100k
    )
    plan.meta.update(live.meta())
    out = args.out or ws.reports / "allocation"
    write_plan(plan.to_dict(), plan.table, out)
    if args.json:
        print_json(plan.to_dict())
        return 0
    say(f"model {live.model_label}, data up to {live.manifest.get('last_week')}")
    say(plan.format_table())
    say(f"\nwrote {out / (LATEST + '.csv')} and {out / (LATEST + '.json')}")
    return 0


def write_plan(document: dict[str, Any], table: Any, out: Path) -> None:
    """Write ``allocation.json`` and ``allocation.csv`` (replacing any earlier plan whole)."""
    from vigia.files import write_atomic

    payloads = {
        out / f"{LATEST}.json": json.dumps(document, indent=2, default=str),
        out / f"{LATEST}.csv": table.to_csv(index=False, float_format="%.4g"),
    }
    for path, text in payloads.items():
        write_atomic(path, text)


def _backtest(args: argparse.Namespace, resource: Any) -> int:
    from vigia.allocate.backtest import backtest_allocation, forecast_backtests, format_backtest
    from vigia.allocate.population import load_population
    from vigia.data.ingest import ingest_panel

    population = load_population(args.population)
    with Step("loading panel"):
        panel, _ = ingest_panel(args.panel)
    with Step(f"backtesting forecasts ({args.method} and baselines)"):
        forecasts = forecast_backtests(
            panel, args.method, args.years, args.refit_every, args.seed, lambda m: say("  " + m)
        )
    result = backtest_allocation(
        panel,
        forecasts,
        resource,
        population,
        weeks=args.weeks,
        budget_factor=args.budget_factor,
        floor_per_100k=args.floor_per_100k,
    )
    summary = result.summary()
    out = args.out or workspace(args).reports / "allocation" / "backtest"
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    result.per_origin.to_csv(out / "per_origin.csv", index=False)
    table = format_backtest(summary)
    (out / "table.md").write_text(table + "\n", encoding="utf-8")
    if args.json:
        print_json(summary)
        return 0
    say(
        f"\n{resource.label_en}: {summary['origins']} origins "
        f"({summary['first_origin']} … {summary['last_origin']}), window {args.weeks} weeks, "
        f"budget = {args.budget_factor:g} × last {args.weeks} weeks' national demand; "
        f"unavoidable unmet {summary['unavoidable_unmet']:,.0f} of {summary['actual_demand']:,.0f}"
    )
    say(table)
    say(f"\nwrote {out}/summary.json, per_origin.csv, table.md")
    return 0
