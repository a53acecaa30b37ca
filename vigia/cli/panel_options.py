"""The data options of every command that reads a weekly panel (``forecast``, ``pipeline run``,
``demo``…): how to read a spreadsheet export and put it on one weekly calendar."""

from __future__ import annotations

import argparse

from vigia.data.read import MAX_GAP_WEEKS, MISSING_RULES, PanelOptions
from vigia.data.weeks import WEEK_RULES


def add_panel_options(parser: argparse.ArgumentParser) -> None:
    """``--delimiter --encoding --week-rule --missing --max-gap --year-col --week-col
    --covariates --date-format`` (column names are added by each command)."""
    group = parser.add_argument_group("panel file options (CSV sources)")
    group.add_argument("--delimiter", default=None, help="',', ';', 'tab' or '|' (default: detect)")
    group.add_argument(
        "--encoding", default=None, help="text encoding, e.g. utf-8, cp1252 (default: detect)"
    )
    group.add_argument(
        "--week-rule",
        choices=WEEK_RULES,
        default=None,
        help="put dates on one weekly calendar: auto (default: keep one-weekday panels, else "
        "MMWR weeks), mmwr (Sunday start), iso (Monday start), none (refuse mixed weekdays); "
        "with --week-col: mmwr or iso week numbers",
    )
    group.add_argument(
        "--missing",
        choices=MISSING_RULES,
        default=None,
        help="a week without a row is: nan (default, not reported) or zero (no case)",
    )
    group.add_argument(
        "--max-gap",
        type=int,
        default=None,
        help=f"longest run of missing weeks kept inside a series (default {MAX_GAP_WEEKS}); "
        "a region's weeks before a longer gap are dropped",
    )
    group.add_argument("--year-col", default=None, help="year column (with --week-col)")
    group.add_argument("--week-col", default=None, help="epidemiological week number column")
    group.add_argument(
        "--covariates",
        default=None,
        help="comma-separated numeric columns to keep (default: every numeric extra column)",
    )
    group.add_argument(
        "--date-format", default=None, help="strptime format of the dates, e.g. %%d/%%m/%%Y"
    )


def add_level_option(parser: argparse.ArgumentParser) -> None:
    """``--level``: the geography of the Peru source (department, province, district)."""
    from vigia.data.peru import LEVELS

    parser.add_argument(
        "--level",
        choices=LEVELS,
        default=None,
        help="regions of the Peru source: department (21, default), province (119) or "
        "district (541); a CSV source has its own regions",
    )


def panel_options(args: argparse.Namespace) -> PanelOptions:
    """The options given on the command line (defaults for the rest)."""
    return PanelOptions.of(
        region_col=getattr(args, "region_col", None),
        date_col=getattr(args, "date_col", None),
        target_col=getattr(args, "target_col", None),
        year_col=args.year_col,
        week_col=args.week_col,
        week_rule=args.week_rule,
        missing=args.missing,
        max_gap=args.max_gap,
        delimiter=args.delimiter,
        encoding=args.encoding,
        covariates=args.covariates,
        date_format=args.date_format,
    )
