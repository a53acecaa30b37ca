"""A quantile forecast: levels, horizons, and the container every forecaster returns.

A forecast made at an *origin* (the ``week_start`` of the last observed week) covers horizons
1…H weeks ahead, each as a set of quantiles. Values live in one array of shape
``(rows, horizons, levels)``, sorted along the last axis (quantiles never cross).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

# The 23 quantile levels of the CDC FluSight / COVID-19 Forecast Hub standard.
FLUSIGHT_LEVELS: tuple[float, ...] = (
    0.01,
    0.025,
    0.05,
    0.10,
    0.15,
    0.20,
    0.25,
    0.30,
    0.35,
    0.40,
    0.45,
    0.50,
    0.55,
    0.60,
    0.65,
    0.70,
    0.75,
    0.80,
    0.85,
    0.90,
    0.95,
    0.975,
    0.99,
)
HORIZONS: tuple[int, ...] = (1, 2, 3, 4)


@dataclass
class QuantileForecast:
    """Quantile forecasts for many (region, origin) rows.

    Attributes:
        keys: One row per forecast: ``region`` (str) and ``origin`` (datetime64).
        values: Array ``(len(keys), len(horizons), len(levels))``, sorted on the last axis.
        horizons: Weeks ahead, e.g. ``(1, 2, 3, 4)``.
        levels: Quantile levels in increasing order.
    """

    keys: pd.DataFrame
    values: np.ndarray
    horizons: tuple[int, ...]
    levels: tuple[float, ...]

    def __post_init__(self) -> None:
        self.keys = self.keys[["region", "origin"]].reset_index(drop=True)
        expected = (len(self.keys), len(self.horizons), len(self.levels))
        if self.values.shape != expected:
            raise ValueError(f"values shape {self.values.shape} != {expected}")

    def level_index(self, level: float) -> int:
        """Position of a quantile level (exact match within 1e-9)."""
        for i, candidate in enumerate(self.levels):
            if abs(candidate - level) < 1e-9:
                return i
        raise KeyError(f"quantile level {level} not in forecast")

    def quantile(self, level: float) -> np.ndarray:
        """``(rows, horizons)`` values of one quantile level."""
        return self.values[:, :, self.level_index(level)]

    @property
    def median(self) -> np.ndarray:
        return self.quantile(0.5)

    def to_frame(self) -> pd.DataFrame:
        """Long format: region, origin, horizon, target_week, quantile, value."""
        n, h, q = self.values.shape
        origin = np.repeat(self.keys["origin"].to_numpy(), h * q)
        horizon = np.tile(np.repeat(np.asarray(self.horizons), q), n)
        return pd.DataFrame(
            {
                "region": np.repeat(self.keys["region"].to_numpy(), h * q),
                "origin": origin,
                "horizon": horizon,
                "target_week": origin + pd.to_timedelta(7 * horizon, unit="D"),
                "quantile": np.tile(np.asarray(self.levels), n * h),
                "value": self.values.reshape(-1),
            }
        )

    @classmethod
    def empty(cls, horizons: Sequence[int], levels: Sequence[float]) -> QuantileForecast:
        """A forecast with no rows."""
        keys = pd.DataFrame(
            {"region": pd.Series([], dtype=str), "origin": pd.Series([], dtype="datetime64[ns]")}
        )
        return cls(keys, np.empty((0, len(horizons), len(levels))), tuple(horizons), tuple(levels))

    def take(self, positions: np.ndarray) -> QuantileForecast:
        """The rows at ``positions`` (integer positions or a boolean mask)."""
        keys = self.keys.iloc[np.asarray(positions)]
        return QuantileForecast(keys, self.values[positions], self.horizons, self.levels)

    @classmethod
    def concat(cls, parts: Sequence[QuantileForecast]) -> QuantileForecast:
        """Stack forecasts with the same horizons and levels."""
        first = parts[0]
        return cls(
            keys=pd.concat([p.keys for p in parts], ignore_index=True),
            values=np.concatenate([p.values for p in parts], axis=0),
            horizons=first.horizons,
            levels=first.levels,
        )


def finalize_quantiles(values: np.ndarray) -> np.ndarray:
    """Make raw quantile predictions valid counts: finite, non-negative, non-crossing."""
    values = np.nan_to_num(np.asarray(values, dtype="float64"), nan=0.0, posinf=0.0, neginf=0.0)
    return np.sort(np.clip(values, 0.0, None), axis=-1)
