"""``vigia forecast``: backtest forecasters on any weekly panel; forecast with report and alerts.

- ``vigia forecast backtest --panel FILE.csv --out DIR``: rolling-origin backtest of the chosen
  methods against the baselines → ``scores.json``, ``scores.md``, the forecast hub ``hub/``
  (one round per origin and method) and ``report.html`` (fan charts of the best method's
  rolling forecasts).
- ``vigia forecast report --out DIR`` (``--bundle DIR`` or ``--panel``/``--method``): forecast the
  next weeks → the round's file in the forecast hub ``hub/``, ``alerts.csv``, ``report.html``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigia.cli.panel_options import add_level_option, add_panel_options, panel_options
from vigia.progress import Step, say


def register(commands: Any) -> None:
    parser = commands.add_parser("forecast", help="forecasting tools (backtest, report)")
    sub = parser.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)
    bt = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of forecasters vs baselines; writes DIR/scores.json",
    )
    _panel_arguments(bt)
    bt.add_argument("--out", type=Path, required=True, help="output folder")
    bt.add_argument(
        "--methods",
        default="hybrid",
        help="comma-separated methods besides the baselines, or 'all' (default: hybrid)",
    )
    bt.add_argument("--years", type=float, default=2.0, help="years of origins (default 2)")
    bt.add_argument("--refit-every", type=int, default=13, help="weeks between refits")
    bt.add_argument("--seed", type=int, default=0)
    bt.add_argument(
        "--report-method",
        default=None,
        help="method whose rolling forecasts report.html shows (default: the best one)",
    )
    _hub_arguments(bt)
    bt.set_defaults(handler=_backtest)

    rp = sub.add_parser(
        "report",
        help="forecast the next weeks: hubverse CSV/Parquet, outbreak alerts, HTML fan charts",
    )
    rp.add_argument("--bundle", type=Path, default=None, help="a model bundle folder to use")
    _panel_arguments(rp)
    rp.add_argument("--method", default="hybrid", help="method to fit when no --bundle is given")
    rp.add_argument("--seed", type=int, default=0)
    rp.add_argument("--out", type=Path, required=True, help="output folder")
    _hub_arguments(rp)
    rp.add_argument(
        "--model-id",
        default=None,
        help="hubverse model id 'team-model' (default: vigia-<method>)",
    )
    rp.set_defaults(handler=_report)


def _hub_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--locations",
        type=Path,
        default=None,
        help="CSV region,location: the hub's location code of each region (default: INEI "
        "ubigeo codes for Peru's departments, else the region values)",
    )
    parser.add_argument(
        "--hub-format",
        choices=("csv", "parquet"),
        default="csv",
        help="format of the hub's model-output files (default: csv)",
    )


def _panel_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--panel", default=None, help="weekly panel CSV, maybe gzip (default: the Peru panel)"
    )
    parser.add_argument("--region-col", default="region")
    parser.add_argument("--date-col", default="week_start")
    parser.add_argument("--target-col", default="cases")
    add_level_option(parser)
    add_panel_options(parser)


def _load_panel(args: argparse.Namespace) -> Any:
    from vigia.training import PERU, ingest_panel

    with Step("loading panel"):
        panel, card = ingest_panel(
            args.panel or PERU, level=args.level or "department", options=panel_options(args)
        )
    say(
        f"  {card['n_regions']} regions, {card['n_weeks']} weeks "
        f"({card['week_range'][0]} … {card['week_range'][1]})"
        + (", ragged (regions start or end in different weeks)" if card["ragged"] else "")
        + (f", {card['missing_weeks']} missing weeks" if card["missing_weeks"] else "")
    )
    reading = card.get("reading", {})
    if reading.get("rows_moved"):
        say(f"  week rule {reading['week_rule']}: {reading['rows_moved']} rows moved")
    if reading.get("ignored_columns"):
        say(f"  ignored text columns: {', '.join(reading['ignored_columns'])}")
    return panel


def _backtest(args: argparse.Namespace) -> int:
    from vigia.evaluate.forecast_scores import region_table
    from vigia.models.catalog import parse_methods
    from vigia.reports.forecast_outputs import write_backtest_outputs
    from vigia.reports.hubverse import location_codes
    from vigia.training import backtest_methods, format_scores_table

    methods = parse_methods(args.methods)
    panel = _load_panel(args)
    locations = location_codes(panel["region"], args.locations)
    with Step(f"backtesting {', '.join(methods)} vs baselines"):
        result = backtest_methods(
            panel,
            methods,
            seed=args.seed,
            years=args.years,
            refit_every=args.refit_every,
            progress=lambda m: say("  " + m),
        )
    scores = result.scores_json()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "scores.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
    with Step("writing forecasts (hubverse), tables and report"):
        written = write_backtest_outputs(
            result, panel, args.out, locations, args.report_method, args.hub_format
        )
    say("")
    say(format_scores_table(scores))
    say("\nRelative WIS per region (persistence = 1):\n")
    say(region_table(scores))
    timing = ", ".join(f"{name} {seconds:.0f}s" for name, seconds in result.seconds.items())
    say(
        f"\n{scores['origins']} origins ({scores['first_origin']} … {scores['last_origin']}) × "
        f"{scores['regions']} regions × horizons {scores['horizons']}, "
        f"{len(scores['quantile_levels'])} quantiles, refit every {args.refit_every} weeks"
    )
    say(f"fit + predict time: {timing}")
    say(f"wrote {args.out / 'scores.json'}, " + ", ".join(str(p.name) for p in written))
    return 0


def _report(args: argparse.Namespace) -> int:
    from vigia.reports.forecast_outputs import write_forecast_outputs
    from vigia.reports.hubverse import check_model_id, hub_model_id, location_codes

    if args.model_id is not None:
        check_model_id(args.model_id)
    if args.bundle is not None:
        from vigia.models.bundle import load_forecast_bundle

        with Step(f"loading model bundle {args.bundle}"):
            model, history, manifest = load_forecast_bundle(args.bundle)
        label = f"{manifest.get('name', 'model')} v{manifest.get('version', '?')} ({model.name})"
    else:
        from vigia.models.catalog import make_forecaster, parse_methods

        method = parse_methods(args.method)[0]
        history = _load_panel(args)
        location_codes(history["region"], args.locations)  # a bad --locations fails before the fit
        with Step(f"fitting {method}"):
            model = make_forecaster(method, args.seed).fit(history)
        label = model.name
    locations = location_codes(history["region"], args.locations)
    model_id = args.model_id or hub_model_id(model.name)
    with Step("forecasting"):
        written, alerts = write_forecast_outputs(
            model, history, args.out, label, locations, model_id, args.hub_format
        )
    worst = alerts.groupby("region")["p_above_upper"].max().sort_values(ascending=False)
    levels = alerts.groupby("level").size().to_dict()
    say(f"  alert levels over all regions and weeks: {levels}")
    if len(worst) and worst.notna().any():
        top = ", ".join(f"{r} {p:.0%}" for r, p in worst.head(5).items() if p == p)
        say(f"  highest P(above the endemic channel): {top}")
    say("wrote " + ", ".join(str(p) for p in written))
    return 0
