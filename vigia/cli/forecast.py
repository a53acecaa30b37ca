"""``vigia forecast``: backtest forecasters on any weekly panel."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigia.cli.common import Step, say


def register(commands: Any) -> None:
    parser = commands.add_parser("forecast", help="forecasting tools (backtest)")
    sub = parser.add_subparsers(dest="forecast_command", metavar="ACTION", required=True)
    bt = sub.add_parser(
        "backtest",
        help="rolling-origin backtest of forecasters vs baselines; writes DIR/scores.json",
    )
    bt.add_argument("--panel", default=None, help="weekly panel CSV (default: the Peru panel)")
    bt.add_argument("--region-col", default="region")
    bt.add_argument("--date-col", default="week_start")
    bt.add_argument("--target-col", default="cases")
    bt.add_argument("--out", type=Path, required=True, help="output folder")
    bt.add_argument(
        "--methods",
        default="xgboost",
        help="comma-separated methods besides the baselines (default: xgboost)",
    )
    bt.add_argument("--years", type=float, default=2.0, help="years of origins (default 2)")
    bt.add_argument("--refit-every", type=int, default=13, help="weeks between refits")
    bt.add_argument("--seed", type=int, default=0)
    bt.set_defaults(handler=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    from vigia.data.ingest import PERU, ingest_panel

    source = args.panel or PERU
    with Step("loading panel"):
        panel, card = ingest_panel(
            source, region_col=args.region_col, date_col=args.date_col, target_col=args.target_col
        )
    from vigia.training import backtest_methods, format_scores_table

    say(
        f"  {card['n_regions']} regions, {card['n_weeks']} weeks "
        f"({card['week_range'][0]} … {card['week_range'][1]})"
    )
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
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
    say("")
    say(format_scores_table(scores))
    say(
        f"\n{scores['origins']} origins × {scores['regions']} regions × horizons "
        f"{scores['horizons']}; wrote {args.out / 'scores.json'}"
    )
    return 0
