"""Classical per-region models from statsforecast: AutoETS and AutoARIMA on raw weekly counts.

Each region gets its own model, selected and estimated at ``fit`` on the region's weeks up to the
training cut-off. ``predict`` keeps those parameters and runs the model forward over the history
it is given (statsforecast ``forward``), so forecasts at later origins use the newer weeks without
re-estimating — the same refit cadence as the global models. Quantiles come from the models'
Gaussian prediction intervals at the central levels that match the quantile levels.

Raw counts, not log1p: on this data log1p made the classical models' intervals far too wide
(see ``docs/forecasting.md``). Saved state is the training series itself (no pickles): loading
re-estimates the models, which is deterministic and takes a few seconds at most.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
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

TRAINING_FILE = "training_series.parquet"
MIN_WEEKS = 10  # shorter regions (or all-constant ones) fall back to the last value


def interval_levels(levels: Sequence[float]) -> list[int | float]:
    """Central interval widths in percent (statsforecast ``level``) for quantile levels."""
    widths = {round(100 * abs(1 - 2 * q), 6) for q in levels if abs(q - 0.5) > 1e-9}
    return sorted(int(w) if float(w).is_integer() else w for w in widths)


def quantiles_from_intervals(
    result: dict[str, Any], levels: Sequence[float], horizons: int
) -> np.ndarray:
    """``(horizons, levels)`` quantiles from a statsforecast ``forward``/``predict`` result."""
    out = np.empty((horizons, len(levels)))
    for k, q in enumerate(levels):
        if abs(q - 0.5) < 1e-9:
            out[:, k] = np.asarray(result["mean"], dtype="float64")[:horizons]
            continue
        width = round(100 * abs(1 - 2 * q), 6)
        label = f"{int(width) if float(width).is_integer() else width}"
        side = "lo" if q < 0.5 else "hi"
        out[:, k] = np.asarray(result[f"{side}-{label}"], dtype="float64")[:horizons]
    return out


def bridged(y: np.ndarray) -> np.ndarray:
    """A series with its unreported weeks (NaN) filled by linear interpolation between the
    reported neighbours: statsforecast models need a complete series."""
    missing = np.isnan(y)
    if not missing.any():
        return y
    known = np.flatnonzero(~missing)
    out = y.copy()
    out[missing] = np.interp(np.flatnonzero(missing), known, y[known])
    return out


class StatsForecaster(Forecaster):
    """Base of the statsforecast models: one model per region, run forward at predict time."""

    def __init__(
        self, horizons: Sequence[int] = HORIZONS, levels: Sequence[float] = FLUSIGHT_LEVELS
    ) -> None:
        super().__init__(horizons, levels)
        self.models: dict[str, Any] = {}
        self.training: pd.DataFrame | None = None

    def _new_model(self) -> Any:
        raise NotImplementedError

    def learn(self, panel: pd.DataFrame) -> None:
        ordered = reported(panel).sort_values(["region", "week_start"])
        self.training = ordered[["region", "week_start", "cases"]].reset_index(drop=True)
        self.models = {}
        for region, group in ordered.groupby("region", sort=True):
            y = bridged(group["cases"].to_numpy(dtype="float64"))
            if len(y) >= MIN_WEEKS and np.ptp(y[-MIN_WEEKS:]) > 0:
                self.models[str(region)] = self._new_model().fit(y)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        keys = last_origins(history)
        ordered = reported(history).sort_values(["region", "week_start"])
        series = {
            str(r): bridged(g["cases"].to_numpy(dtype="float64"))
            for r, g in ordered.groupby("region")
        }
        h = max(self.horizons)
        steps = [x - 1 for x in self.horizons]
        widths = interval_levels(self.levels)
        values = np.empty((len(keys), len(self.horizons), len(self.levels)))
        for i, region in enumerate(keys["region"]):
            y = series[region]
            model = self.models.get(region)
            if model is None or np.ptp(y[-MIN_WEEKS:]) == 0:
                values[i] = y[-1]  # nothing to model: the last value, no spread
                continue
            result = model.forward(y=y, h=h, level=widths)
            values[i] = quantiles_from_intervals(result, self.levels, h)[steps]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def save_state(self, folder: Path) -> None:
        if self.training is None:
            raise ValueError(f"{self.name} is not fitted")
        self.training.to_parquet(folder / TRAINING_FILE, index=False)

    def load_state(self, folder: Path) -> None:
        training = pd.read_parquet(folder / TRAINING_FILE)
        training["week_start"] = pd.to_datetime(training["week_start"]).astype("datetime64[ns]")
        self.fit(training)


class AutoETSForecaster(StatsForecaster):
    """statsforecast AutoETS (error/trend/season selected by AICc) per region."""

    name = "autoets"

    def _new_model(self) -> Any:
        from statsforecast.models import AutoETS

        return AutoETS(season_length=1)


class AutoARIMAForecaster(StatsForecaster):
    """statsforecast AutoARIMA (stepwise order search by AICc) per region."""

    name = "autoarima"

    def _new_model(self) -> Any:
        from statsforecast.models import AutoARIMA

        return AutoARIMA(season_length=1)
