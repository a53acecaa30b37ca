"""``vigia dashboard``: the officials' one-page HTML dashboard (works offline).

    vigia dashboard [--out FILE] [--resource test_kits --budget 20000 [--floor-per-100k 5]]

Without ``--resource``/``--budget`` the page shows the latest plan written by ``vigia allocate``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vigia.cli.common import workspace
from vigia.errors import VigiaError
from vigia.progress import Step, say


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "dashboard",
        help="build the officials' dashboard (one self-contained HTML page)",
        description="Expected cases and alert level per region, fan charts, the allocation "
        "table, monitoring status, model version and data date, in one HTML file that works "
        "offline.",
    )
    parser.add_argument(
        "--out", type=Path, help="HTML file (default <workspace>/reports/dashboard/index.html)"
    )
    parser.add_argument("--model", default="dengue-forecast", help="registered forecast model")
    parser.add_argument("--weeks", type=int, default=4, help="weeks ahead summed (default 4)")
    parser.add_argument("--resource", help="allocate this resource now (with --budget)")
    parser.add_argument("--budget", type=float, help="units of --resource available")
    parser.add_argument("--floor-per-100k", type=float, default=0.0, metavar="X")
    parser.add_argument("--population", type=Path, help="CSV region,population")
    parser.add_argument("--resources", type=Path, help="resource definitions TOML")
    parser.set_defaults(handler=_dashboard)


def _dashboard(args: argparse.Namespace) -> int:
    from vigia.reports.dashboard import AllocationRequest, write_dashboard

    if (args.resource is None) != (args.budget is None):
        raise VigiaError("give --resource and --budget together (or neither)")
    request = (
        AllocationRequest(
            resource=args.resource,
            budget=args.budget,
            floor_per_100k=args.floor_per_100k,
            resources_file=args.resources,
        )
        if args.resource
        else None
    )
    ws = workspace(args)
    out = args.out or ws.reports / "dashboard" / "index.html"
    with Step("building dashboard"):
        summary = write_dashboard(
            ws,
            out,
            model=args.model,
            weeks=args.weeks,
            allocation=request,
            population_file=args.population,
        )
    say(f"  model {summary['model']}, data up to {summary['data_date']}")
    say(f"  alerts: {summary['alerts']}; monitoring: {summary['monitoring']}")
    say(f"  allocation: {summary['allocation']}")
    say(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, self-contained; open it in a browser)")
    return 0
