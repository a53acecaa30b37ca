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
    panel: pd.DataFrame, source: str, rows_in: int, dropped: dict[str, int] | None = None
) -> dict[str, Any]:
    """Summary of one ingested panel, JSON-serialisable."""
    totals = panel.groupby("region")["cases"].sum().sort_values(ascending=False)
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
        "",
        "| dropped because | rows |",
        "|---|---:|",
        *[f"| {reason} | {count:,} |" for reason, count in dropped.items()],
        "",
        "| region | cases |",
        "|---|---:|",
        *[f"| {r} | {c:,.0f} |" for r, c in card["cases_by_region"].items()],
    ]
    return "\n".join(lines) + "\n"
