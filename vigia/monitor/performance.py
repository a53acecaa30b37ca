"""How good were the live model's past forecasts, now that the actual counts have arrived?

Every logged forecast whose target week lies in the performance window and has been observed is
scored with the hub standard (:mod:`vigia.evaluate.forecast_scores`): WIS on raw counts, 50/90 %
interval coverage, absolute error of the median — and against persistence made from the same
origins with the same actual history, so the relative WIS means what it means in the backtest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.evaluate.forecast_scores import compare_methods, score_table
from vigia.forecasts.quantiles import QuantileForecast
from vigia.models.baselines import Persistence
from vigia.monitor.window import LoggedForecasts

MODEL, BASELINE = "model", "persistence"
SUMMARY_KEYS = ("wis", "relative_wis", "mae", "coverage_50", "coverage_90")


@dataclass
class PerformanceResult:
    """Scores of the forecasts whose target weeks fall in ``(start, end]``.

    Attributes:
        assessed: False when fewer than the configured minimum were scored (``reason``).
        scored: Scored forecasts (region × origin × horizon).
        overall: ``wis``, ``persistence_wis``, ``relative_wis``, ``mae``, ``coverage_50``,
            ``coverage_90`` (and WIS parts).
        by_region, by_horizon: The same per region / horizon (with ``n``).
        table: One row per scored forecast (region, origin, horizon, target_week, y, median,
            the 5/95 % quantiles, wis, persistence_wis, covered_50, covered_90).
    """

    assessed: bool
    start: str
    end: str
    reason: str = ""
    scored: int = 0
    overall: dict[str, float] = field(default_factory=dict)
    by_region: dict[str, dict[str, float]] = field(default_factory=dict)
    by_horizon: dict[str, dict[str, float]] = field(default_factory=dict)
    table: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def relative_wis(self) -> float | None:
        return self.overall.get("relative_wis") if self.assessed else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "assessed": self.assessed,
            "reason": self.reason,
            "window": {"start": self.start, "end": self.end},
            "scored": self.scored,
            "overall": self.overall,
            "by_region": self.by_region,
            "by_horizon": self.by_horizon,
        }

    def save(self, folder: Path) -> None:
        """``performance.json`` and the scored forecasts ``performance.parquet``."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "performance.json").write_text(json.dumps(self.to_dict()), encoding="utf-8")
        self.table.to_parquet(folder / "performance.parquet", index=False)

    @classmethod
    def load(cls, folder: Path) -> PerformanceResult:
        data = json.loads((folder / "performance.json").read_text(encoding="utf-8"))
        table = pd.read_parquet(folder / "performance.parquet")
        for column in ("origin", "target_week"):
            if column in table.columns:
                table[column] = pd.to_datetime(table[column]).astype("datetime64[ns]")
        return cls(
            assessed=data["assessed"],
            start=data["window"]["start"],
            end=data["window"]["end"],
            reason=data["reason"],
            scored=data["scored"],
            overall=data["overall"],
            by_region=data["by_region"],
            by_horizon=data["by_horizon"],
            table=table,
        )


def score_logged(
    logged: LoggedForecasts,
    actuals: pd.DataFrame,
    as_of: pd.Timestamp,
    weeks: int,
    min_scored: int = 1,
) -> PerformanceResult:
    """Score the logged forecasts whose target week is in ``(as_of - weeks, as_of]``.

    Args:
        logged: The live version's logged forecasts (any origins; only those with a target in
            the window are used).
        actuals: Weekly panel of observed counts up to ``as_of`` (region, week_start, cases).
        as_of: The last week whose counts are known.
        weeks: Weeks of target weeks in the window.
        min_scored: Fewer scored forecasts than this: ``assessed`` is False.
    """
    start = as_of - pd.Timedelta(weeks=weeks)
    result = PerformanceResult(False, f"{start:%Y-%m-%d}", f"{as_of:%Y-%m-%d}")
    known = actuals[actuals["week_start"] <= as_of]
    max_h = max(logged.horizons) if logged.horizons else 0
    candidates = logged.between(start - pd.Timedelta(weeks=max_h), as_of)
    candidates = candidates.between(None, as_of - pd.Timedelta(weeks=1))
    candidates = _with_known_region(candidates, set(known["region"]))
    if len(candidates) == 0:
        result.reason = f"no logged forecast has a target week in {result.start} … {result.end}"
        return result
    model_table = score_table(candidates.forecast(), known)
    baseline_table = score_table(_persistence(candidates, known), known)
    target = model_table["origin"] + pd.to_timedelta(7 * model_table["horizon"], unit="D")
    in_window = (target > start) & (target <= as_of)
    model_table = model_table[in_window].reset_index(drop=True)
    base_target = baseline_table["origin"] + pd.to_timedelta(7 * baseline_table["horizon"], "D")
    baseline_table = baseline_table[(base_target > start) & (base_target <= as_of)]
    if len(model_table) < max(min_scored, 1):
        result.reason = (
            f"{len(model_table)} forecasts scored for target weeks {result.start} … "
            f"{result.end}, fewer than min_scored={min_scored}: not assessed"
        )
        result.scored = len(model_table)
        return result
    compared = compare_methods({MODEL: model_table, BASELINE: baseline_table}, baseline=BASELINE)
    result.assessed = True
    result.scored = len(model_table)
    result.overall = _summary(compared["methods"][MODEL], compared["methods"][BASELINE])
    result.by_horizon = {
        str(h): _summary(s, compared["by_horizon"][BASELINE][h], _count(model_table, "horizon", h))
        for h, s in compared["by_horizon"][MODEL].items()
    }
    result.by_region = {
        r: _summary(s, compared["by_region"][BASELINE][r], _count(model_table, "region", r))
        for r, s in compared["by_region"][MODEL].items()
    }
    result.table = _report_table(candidates, model_table, baseline_table)
    return result


def _with_known_region(logged: LoggedForecasts, regions: set[str]) -> LoggedForecasts:
    return logged.subset(logged.inputs["region"].isin(regions).to_numpy())


def _persistence(logged: LoggedForecasts, actuals: pd.DataFrame) -> QuantileForecast:
    """Persistence forecasts from every logged (region, origin), made from the actual counts
    up to that origin (the FluSight-style baseline of the backtest)."""
    baseline = Persistence(logged.horizons, logged.levels)
    parts = []
    for origin, rows in logged.inputs.groupby("origin", sort=True):
        regions = set(rows["region"])
        seen = actuals[(actuals["week_start"] <= origin) & actuals["region"].isin(regions)]
        if not seen.empty:
            forecast = baseline.predict(seen)
            keep = forecast.keys["origin"] == origin  # a region whose counts stop earlier: none
            parts.append(
                QuantileForecast(
                    forecast.keys[keep.to_numpy()],
                    forecast.values[keep.to_numpy()],
                    forecast.horizons,
                    forecast.levels,
                )
            )
    return QuantileForecast.concat(parts)


def _summary(
    scores: dict[str, float], baseline: dict[str, float], n: int | None = None
) -> dict[str, float]:
    out = {
        "wis": float(scores["wis"]),
        "persistence_wis": float(baseline["wis"]),
        "relative_wis": float(scores["relative_wis"]),
        "mae": float(scores["mae"]),
        "coverage_50": float(scores["coverage_50"]),
        "coverage_90": float(scores["coverage_90"]),
        "dispersion": float(scores["dispersion"]),
        "overprediction": float(scores["overprediction"]),
        "underprediction": float(scores["underprediction"]),
    }
    if n is not None:
        out["n"] = n
    return out


def _count(table: pd.DataFrame, column: str, value: Any) -> int:
    return int((table[column] == value).sum())


def _report_table(
    logged: LoggedForecasts, model_table: pd.DataFrame, baseline_table: pd.DataFrame
) -> pd.DataFrame:
    """Scored forecasts with their 90 % interval and the persistence WIS, for reports."""
    keys = ["region", "origin", "horizon"]
    frame = logged.forecast().to_frame()
    interval = frame[np.isclose(frame["quantile"], 0.05) | np.isclose(frame["quantile"], 0.95)]
    interval = interval.assign(bound=np.where(interval["quantile"] < 0.5, "q05", "q95"))
    bounds = interval.pivot_table(index=keys, columns="bound", values="value").reset_index()
    table = model_table.merge(bounds, on=keys, how="left").merge(
        baseline_table[[*keys, "wis"]].rename(columns={"wis": "persistence_wis"}),
        on=keys,
        how="left",
    )
    table["target_week"] = table["origin"] + pd.to_timedelta(7 * table["horizon"], unit="D")
    columns = [
        "region",
        "origin",
        "horizon",
        "target_week",
        "y",
        "median",
        "q05",
        "q95",
        "wis",
        "persistence_wis",
        "covered_50",
        "covered_90",
    ]
    return table[[c for c in columns if c in table.columns]]
