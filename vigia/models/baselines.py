"""Simple baselines every model is scored against (they need no training).

- ``persistence``: next weeks = last week; intervals from the region's past one-week changes,
  symmetrised and widened with sqrt(horizon) (the FluSight baseline idea).
- ``seasonal_naive``: next weeks = the same weeks one year earlier; intervals from past
  year-on-year differences. Falls back to persistence without a year of history.
- ``constant``: a useless model (always the panel mean); the approval gate must reject it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.models.base import Forecaster, last_origins, reported

SEASON = 52


def _symmetric_quantiles(changes: np.ndarray, levels: np.ndarray) -> np.ndarray:
    changes = changes[np.isfinite(changes)]
    if changes.size == 0:
        return np.zeros_like(levels)
    both = np.concatenate([changes, -changes])
    return np.quantile(both, levels)


def _series(history: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each region's weekly counts up to its last reported week (NaN = not reported)."""
    ordered = reported(history).sort_values(["region", "week_start"])
    return {
        str(r): g["cases"].to_numpy(dtype="float64")
        for r, g in ordered.groupby("region", sort=True)
    }


class Persistence(Forecaster):
    """Last observed value, with intervals from past one-week changes widening as sqrt(h)."""

    name = "persistence"

    def learn(self, panel: pd.DataFrame) -> None:
        """Nothing to learn: the forecast comes from the history it is given."""

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        levels = np.asarray(self.levels)
        horizons = np.asarray(self.horizons, dtype="float64")
        keys = last_origins(history)
        series = _series(history)
        values = np.empty((len(keys), len(horizons), len(levels)))
        for i, region in enumerate(keys["region"]):
            y = series[region]
            spread = _symmetric_quantiles(np.diff(y), levels)
            values[i] = y[-1] + np.sqrt(horizons)[:, None] * spread[None, :]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)


class SeasonalNaive(Forecaster):
    """Same week last year, with intervals from past year-on-year differences."""

    name = "seasonal_naive"

    def learn(self, panel: pd.DataFrame) -> None:
        """Nothing to learn: the forecast comes from the history it is given."""

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        levels = np.asarray(self.levels)
        keys = last_origins(history)
        series = _series(history)
        fallback = Persistence(self.horizons, self.levels).predict(history).values
        values = np.empty((len(keys), len(self.horizons), len(levels)))
        for i, region in enumerate(keys["region"]):
            y = series[region]
            spread = _symmetric_quantiles(y[SEASON:] - y[:-SEASON], levels)
            for j, h in enumerate(self.horizons):
                same_week_last_year = len(y) - 1 + h - SEASON
                if (
                    same_week_last_year < 0
                    or len(y) <= SEASON
                    or np.isnan(y[same_week_last_year])  # not reported: persistence instead
                ):
                    values[i, j] = fallback[i, j]
                else:
                    values[i, j] = y[same_week_last_year] + spread
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)


class Constant(Forecaster):
    """Always the mean weekly count of the training panel: a useless model for gate tests."""

    name = "constant"

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        value: float = 0.0,
    ) -> None:
        super().__init__(horizons, levels)
        self.value = float(value)

    def params(self) -> dict[str, Any]:
        return {**super().params(), "value": self.value}

    def learn(self, panel: pd.DataFrame) -> None:
        self.value = float(panel["cases"].mean())

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        keys = last_origins(history)
        values = np.full((len(keys), len(self.horizons), len(self.levels)), self.value)
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)
