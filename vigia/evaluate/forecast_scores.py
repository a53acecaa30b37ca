"""Scores for quantile forecasts: WIS (and its parts), MAE of the median, interval coverage.

WIS follows Bracher et al. (2021): for K central intervals and the median,
``WIS = (0.5·|y − m| + Σ_k (α_k/2)·IS_α_k) / (K + 0.5)``, which equals twice the mean pinball
loss over a symmetric set of quantile levels. Its parts: dispersion (interval widths),
overprediction and underprediction (penalties when y falls outside an interval).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from vigia.forecasts.quantiles import QuantileForecast
from vigia.forecasts.wis import coverage, observed, wis_parts


def score_table(forecast: QuantileForecast, panel: pd.DataFrame) -> pd.DataFrame:
    """One row per (region, origin, horizon) with y, median and every score."""
    y = observed(forecast, panel)
    parts = wis_parts(forecast.values, forecast.levels, y)
    n, h = y.shape
    table = pd.DataFrame(
        {
            "region": np.repeat(forecast.keys["region"].to_numpy(), h),
            "origin": np.repeat(forecast.keys["origin"].to_numpy(), h),
            "horizon": np.tile(np.asarray(forecast.horizons), n),
            "y": y.reshape(-1),
            "median": forecast.median.reshape(-1),
            **{name: value.reshape(-1) for name, value in parts.items()},
            "abs_error": np.abs(forecast.median - y).reshape(-1),
            "covered_50": coverage(forecast.values, forecast.levels, y, 0.5).reshape(-1),
            "covered_90": coverage(forecast.values, forecast.levels, y, 0.9).reshape(-1),
        }
    )
    return table.dropna(subset=["y"]).reset_index(drop=True)


SUMMARY = {
    "wis": "wis",
    "dispersion": "dispersion",
    "overprediction": "overprediction",
    "underprediction": "underprediction",
    "mae": "abs_error",
    "coverage_50": "covered_50",
    "coverage_90": "covered_90",
}


def summarize(table: pd.DataFrame, baseline: pd.DataFrame | None = None) -> dict[str, float]:
    """Mean scores of a score table; ``relative_wis``/``relative_mae`` against a baseline table
    scored on the same (region, origin, horizon) rows."""
    out = {name: float(table[col].mean()) for name, col in SUMMARY.items()}
    if baseline is not None:
        out["baseline_wis"] = float(baseline["wis"].mean())
        out["relative_wis"] = _ratio(out["wis"], out["baseline_wis"])
        out["relative_mae"] = _ratio(out["mae"], float(baseline["abs_error"].mean()))
    return out


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b > 0 else (1.0 if a == 0 else float("inf"))


def compare_methods(
    tables: dict[str, pd.DataFrame], baseline: str = "persistence"
) -> dict[str, Any]:
    """Overall, per-horizon and per-region summaries of every method, relative to ``baseline``.

    All methods are scored on the rows every method has (the intersection of keys).
    """
    keys = ["region", "origin", "horizon"]
    common = None
    for table in tables.values():
        index = pd.MultiIndex.from_frame(table[keys])
        common = index if common is None else common.intersection(index)
    aligned = {name: t.set_index(keys).loc[common].reset_index() for name, t in tables.items()}
    base = aligned[baseline]
    scored = base.groupby("region")["origin"].nunique()
    result: dict[str, Any] = {
        "methods": {},
        "by_horizon": {},
        "by_region": {},
        # how many origins each region was scored at (fewer on a ragged or gapped panel)
        "region_origins": {str(r): int(n) for r, n in scored.items()},
    }
    for name, table in aligned.items():
        result["methods"][name] = summarize(table, base)
        result["by_horizon"][name] = {
            int(h): summarize(g, base[base["horizon"] == h]) for h, g in table.groupby("horizon")
        }
        result["by_region"][name] = {
            str(r): summarize(g, base[base["region"] == r]) for r, g in table.groupby("region")
        }
    return result


TABLE_COLUMNS = (
    ("relative_wis", "rel. WIS"),
    ("wis", "WIS"),
    ("dispersion", "dispersion"),
    ("overprediction", "over"),
    ("underprediction", "under"),
    ("mae", "MAE"),
    ("coverage_50", "cov. 50"),
    ("coverage_90", "cov. 90"),
)


def method_table(scores: dict[str, Any]) -> str:
    """Markdown table of every method in a ``scores.json`` document, best relative WIS first:
    overall scores and WIS parts, then relative WIS per horizon."""
    horizons = [str(h) for h in scores.get("horizons", [])]
    by_horizon = scores.get("by_horizon", {})
    header = ["method", *(label for _, label in TABLE_COLUMNS), *(f"rel. h{h}" for h in horizons)]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    ranked = sorted(scores["methods"].items(), key=lambda kv: kv[1]["relative_wis"])
    for name, summary in ranked:
        cells = [f"{summary[key]:.3f}" for key, _ in TABLE_COLUMNS]
        per_h = by_horizon.get(name, {})
        cells += [
            f"{per_h[h]['relative_wis']:.3f}" if h in per_h else ""
            for h in (_horizon_key(per_h, h) for h in horizons)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def region_table(scores: dict[str, Any]) -> str:
    """Markdown table of relative WIS per region (rows) and method (columns), with each
    region's persistence WIS, largest first."""
    methods = sorted(scores["methods"], key=lambda m: scores["methods"][m]["relative_wis"])
    by_region = scores["by_region"]
    any_method = by_region[methods[0]]
    regions = sorted(any_method, key=lambda r: -any_method[r].get("baseline_wis", 0.0))
    counts = scores.get("region_origins", {})
    header = ["region", "scored origins", "persistence WIS", *methods]
    lines = ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    for region in regions:
        cells = [
            str(counts.get(region, "")),
            f"{any_method[region].get('baseline_wis', float('nan')):.2f}",
        ]
        cells += [f"{by_region[m][region]['relative_wis']:.3f}" for m in methods]
        lines.append(f"| {region} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _horizon_key(per_h: dict[Any, Any], h: str) -> Any:
    """Horizon keys are ints in memory and strings after a JSON round trip."""
    return int(h) if int(h) in per_h else h
