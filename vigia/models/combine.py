"""Combining quantile forecasts: weighted quantile averaging, weights and spread learned on
out-of-sample forecasts by minimising WIS.

Quantile averaging (Vincentisation) averages, level by level, the members' quantiles; it keeps
quantiles sorted and is the combination the CDC forecast hubs use for their ensembles.
"""

from __future__ import annotations

import itertools

import numpy as np

from vigia.forecasts.wis import wis_parts

SPREADS = (0.7, 0.8, 0.9, 1.0, 1.1, 1.25, 1.4)


def simplex_grid(members: int, step: float) -> np.ndarray:
    """Every weight vector on the simplex with the given step, shape ``(combinations, members)``."""
    units = round(1 / step)
    rows = [
        np.array(c, dtype="float64") / units
        for c in itertools.product(range(units + 1), repeat=members)
        if sum(c) == units
    ]
    return np.stack(rows)


def combine(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted quantile average of member forecasts.

    Args:
        values: ``(members, rows, horizons, levels)``.
        weights: ``(members,)`` or ``(members, horizons)``, summing to 1 over members.
    """
    w = np.asarray(weights, dtype="float64")
    if w.ndim == 1:
        w = np.repeat(w[:, None], values.shape[2], axis=1)
    return np.einsum("mrhq,mh->rhq", values, w)


def scale_spread(values: np.ndarray, factors: np.ndarray, median_index: int) -> np.ndarray:
    """Widen (factor > 1) or narrow the quantiles around the median on the log1p scale.

    Args:
        values: ``(rows, horizons, levels)`` counts.
        factors: ``(horizons,)`` multipliers of each quantile's log1p distance to the median.
        median_index: Position of the 0.5 level.
    """
    logs = np.log1p(np.clip(values, 0.0, None))
    middle = logs[..., median_index : median_index + 1]
    scaled = middle + np.asarray(factors)[None, :, None] * (logs - middle)
    return np.sort(np.expm1(scaled), axis=-1)


def mean_wis(values: np.ndarray, levels: tuple[float, ...], y: np.ndarray) -> float:
    """Mean WIS over the rows with an observed value."""
    known = np.isfinite(y)
    return float(wis_parts(values[known], levels, y[known])["wis"].mean())


def learn_weights(
    values: np.ndarray,
    levels: tuple[float, ...],
    y: np.ndarray,
    step: float = 0.1,
    per_horizon: bool = False,
    tolerance: float = 0.0,
) -> np.ndarray:
    """Member weights that minimise mean WIS of the weighted quantile average on out-of-sample
    forecasts, searched on a simplex grid.

    Args:
        values: ``(members, rows, horizons, levels)`` out-of-sample member forecasts.
        levels: Quantile levels.
        y: ``(rows, horizons)`` observed values (NaN where unknown).
        step: Grid step on the simplex.
        per_horizon: One weight vector per horizon (else one shared by all horizons, learned
            on all horizons' rows: four times the data per weight).
        tolerance: Prefer the most even weights whose WIS is within this fraction of the
            best (guards against weights fitted to the noise of a short fold).

    Returns:
        ``(members, horizons)``; ties go to the more even weights.
    """
    members, rows, horizons, quantiles = values.shape
    if not per_horizon:
        stacked = values.transpose(0, 2, 1, 3).reshape(members, horizons * rows, 1, quantiles)
        shared = learn_weights(stacked, levels, y.T.reshape(-1, 1), step, True, tolerance)
        return np.repeat(shared, horizons, axis=1)
    grid = simplex_grid(members, step)
    evenness = -np.abs(grid - 1 / members).sum(axis=1)
    order = np.argsort(-evenness, kind="stable")  # most even first: it wins ties
    out = np.empty((members, horizons))
    for j in range(horizons):
        scores = [
            mean_wis(np.einsum("mrq,m->rq", values[:, :, j, :], grid[i]), levels, y[:, j])
            for i in order
        ]
        best = min(scores)
        first_good = next(i for i, v in enumerate(scores) if v <= best * (1 + tolerance))
        out[:, j] = grid[order[first_good]]
    return out


def learn_spread(
    values: np.ndarray,
    levels: tuple[float, ...],
    y: np.ndarray,
    candidates: tuple[float, ...] = SPREADS,
) -> np.ndarray:
    """Per-horizon spread factor (see :func:`scale_spread`) minimising out-of-sample WIS.

    Args:
        values: ``(rows, horizons, levels)`` combined out-of-sample forecasts.
        levels: Quantile levels (must include 0.5).
        y: ``(rows, horizons)`` observed values.
        candidates: Factors tried; 1.0 wins ties.
    """
    median_index = levels.index(0.5)
    ordered = sorted(candidates, key=lambda f: abs(f - 1.0))  # 1.0 first: it wins ties
    out = np.ones(values.shape[1])
    for j in range(values.shape[1]):
        scores = [
            mean_wis(
                scale_spread(values[:, j : j + 1, :], np.array([factor]), median_index),
                levels,
                y[:, j : j + 1],
            )
            for factor in ordered
        ]
        out[j] = ordered[int(np.argmin(scores))]
    return out
