"""The weighted interval score of a quantile forecast, in parts, and interval coverage.

WIS follows Bracher et al. (2021): for K central intervals and the median,
``WIS = (0.5·|y − m| + Σ_k (α_k/2)·IS_α_k) / (K + 0.5)``, which equals twice the mean pinball
loss over a symmetric set of quantile levels. Its parts: dispersion (interval widths),
overprediction and underprediction (penalties when y falls outside an interval). Tables and
method comparisons built from them: :mod:`vigia.evaluate.forecast_scores`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vigia.forecasts.quantiles import QuantileForecast


def interval_pairs(levels: tuple[float, ...]) -> list[tuple[int, int, float]]:
    """(lower index, upper index, alpha) for every central interval in a symmetric level set."""
    pairs = []
    for i, low in enumerate(levels):
        if low >= 0.5:
            break
        for j, high in enumerate(levels):
            if abs(low + high - 1.0) < 1e-9:
                pairs.append((i, j, 2 * low))
    return pairs


def wis_parts(
    values: np.ndarray, levels: tuple[float, ...], y: np.ndarray
) -> dict[str, np.ndarray]:
    """WIS and its parts for quantile ``values`` (..., Q) against observations ``y`` (...).

    Returns arrays shaped like ``y``: ``wis``, ``dispersion``, ``overprediction``,
    ``underprediction`` (the parts sum to ``wis``).
    """
    pairs = interval_pairs(levels)
    median = values[..., levels.index(0.5)] if 0.5 in levels else None
    dispersion = np.zeros_like(y, dtype="float64")
    over = np.zeros_like(dispersion)
    under = np.zeros_like(dispersion)
    for lo, hi, alpha in pairs:
        lower, upper = values[..., lo], values[..., hi]
        dispersion += alpha / 2 * (upper - lower)
        over += np.where(y < lower, lower - y, 0.0)
        under += np.where(y > upper, y - upper, 0.0)
    if median is not None:
        over += 0.5 * np.where(y < median, median - y, 0.0)
        under += 0.5 * np.where(y > median, y - median, 0.0)
    k = len(pairs) + (0.5 if median is not None else 0.0)
    parts = {"dispersion": dispersion / k, "overprediction": over / k, "underprediction": under / k}
    parts["wis"] = parts["dispersion"] + parts["overprediction"] + parts["underprediction"]
    return parts


def coverage(
    values: np.ndarray, levels: tuple[float, ...], y: np.ndarray, width: float
) -> np.ndarray:
    """1.0 where ``y`` lies inside the central ``width`` interval (e.g. 0.9), else 0.0."""
    lo = levels.index(round((1 - width) / 2, 6))
    hi = levels.index(round(1 - (1 - width) / 2, 6))
    return ((y >= values[..., lo]) & (y <= values[..., hi])).astype("float64")


def observed(forecast: QuantileForecast, panel: pd.DataFrame) -> np.ndarray:
    """Observed cases ``(rows, horizons)`` for a forecast's target weeks (NaN if not observed)."""
    lookup = panel.set_index(["region", "week_start"])["cases"]
    out = np.full((len(forecast.keys), len(forecast.horizons)), np.nan)
    for j, h in enumerate(forecast.horizons):
        target = pd.MultiIndex.from_arrays(
            [forecast.keys["region"], forecast.keys["origin"] + pd.Timedelta(weeks=h)]
        )
        out[:, j] = lookup.reindex(target).to_numpy()
    return out
