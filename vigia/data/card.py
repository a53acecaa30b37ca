"""Data cards: what went into a panel, what came out, and a content hash that names it."""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd


def panel_hash(panel: pd.DataFrame) -> str:
    """SHA-256 of the panel's canonical CSV form (stable across Parquet/pyarrow versions)."""
    canonical = panel.sort_values(["region", "week_start"]).to_csv(
        index=False, date_format="%Y-%m-%d", float_format="%.6g", lineterminator="\n"
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def data_card(
    panel: pd.DataFrame,
    source: str,
    rows_in: int,
    dropped: dict[str, int] | None = None,
    notes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Summary of one ingested panel, JSON-serialisable.

    ``notes`` are what reading the panel took (:func:`vigia.data.contract.check_panel`): week
    rule and rows moved or merged, missing weeks per region, ignored columns, encoding…
    """
    totals = panel.groupby("region")["cases"].sum().sort_values(ascending=False)
    spans = panel.groupby("region")["week_start"].agg(["min", "max"])
    notes = dict(notes or {})
    missing = {str(k): int(v) for k, v in notes.pop("missing_weeks", {}).items()}
    return {
        "source": source,
        "rows_in": int(rows_in),
        "rows_out": len(panel),
        "rows_dropped": {k: int(v) for k, v in (dropped or {}).items()},
        "regions": sorted(panel["region"].unique().tolist()),
        "n_regions": int(panel["region"].nunique()),
        "week_range": [
            f"{panel['week_start'].min():%Y-%m-%d}",
            f"{panel['week_start'].max():%Y-%m-%d}",
        ],
        "n_weeks": int(panel["week_start"].nunique()),
        "total_cases": float(panel["cases"].sum()),
        "cases_by_region": {str(k): float(v) for k, v in totals.items()},
        "covariates": [c for c in panel.columns if c not in ("region", "week_start", "cases")],
        "content_hash": panel_hash(panel),
        "ragged": bool(spans["min"].nunique() > 1 or spans["max"].nunique() > 1),
        "weeks_by_region": {
            str(r): [f"{a:%Y-%m-%d}", f"{b:%Y-%m-%d}"] for r, (a, b) in spans.iterrows()
        },
        "missing_weeks": int(sum(missing.values())),
        "missing_weeks_by_region": missing,
        "reading": notes,
    }


def card_markdown(card: dict[str, Any]) -> str:
    """The data card as Markdown (for the KFP UI and reports)."""
    dropped = card["rows_dropped"] or {"nothing": 0}
    lines = [
        "# Data card",
        "",
        f"- **Source**: {card['source']}",
        f"- **Rows in / out**: {card['rows_in']:,} → {card['rows_out']:,} panel rows",
        f"- **Weeks**: {card['week_range'][0]} … {card['week_range'][1]} ({card['n_weeks']} weeks)",
        f"- **Regions**: {card['n_regions']}",
        f"- **Total cases**: {card['total_cases']:,.0f}",
        f"- **Content hash**: `{card['content_hash']}`",
        *_reading_lines(card),
        "",
        "| dropped because | rows |",
        "|---|---:|",
        *[f"| {reason} | {count:,} |" for reason, count in dropped.items()],
        "",
        "| region | cases | weeks | missing weeks |",
        "|---|---:|---|---:|",
        *[
            f"| {r} | {c:,.0f} | {' … '.join(card.get('weeks_by_region', {}).get(r, []))} | "
            f"{card.get('missing_weeks_by_region', {}).get(r, 0)} |"
            for r, c in card["cases_by_region"].items()
        ],
    ]
    return "\n".join(lines) + "\n"


def _reading_lines(card: dict[str, Any]) -> list[str]:
    """What reading the file took: the week rule, moved/merged rows, gaps, ignored columns."""
    notes = card.get("reading") or {}
    lines = [
        f"- **Missing weeks** (not reported, kept as missing): {card.get('missing_weeks', 0):,}",
    ]
    if notes.get("week_rule"):
        lines.append(
            f"- **Week rule**: {notes['week_rule']}; {notes.get('rows_moved', 0):,} rows moved "
            f"(by up to {notes.get('max_shift_days', 0)} days), {notes.get('rows_merged', 0):,} "
            "rows summed into a week they shared"
        )
    if notes.get("filled_with_zero"):
        lines.append(f"- **Missing weeks read as zero cases**: {notes['filled_with_zero']:,}")
    if notes.get("ignored_columns"):
        lines.append(
            "- **Ignored columns** (not numeric; name them with --covariates to use them): "
            + ", ".join(notes["ignored_columns"])
        )
    if notes.get("empty_regions"):
        lines.append(
            "- **Regions without any count** (dropped): " + ", ".join(notes["empty_regions"])
        )
    if notes.get("encoding"):
        lines.append(
            f"- **File**: {notes['encoding']} text, delimiter {notes.get('delimiter')!r}"
            + (", gzip" if notes.get("gzip") else "")
        )
    return lines
