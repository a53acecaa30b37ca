"""The newsvendor on quantiles: allocate a budget of whole units to regions so that the expected
unmet demand is as small as possible.

Demand distribution. A region's demand is described by its quantiles ``x_1 ≤ … ≤ x_K`` at levels
``τ_1 < … < τ_K``. Between levels the quantile function ``Q(u)`` is linear; below ``τ_1`` and above
``τ_K`` the first and last segments are extended to ``u = 0`` (clipped at 0) and ``u = 1``. With
this piecewise-linear ``Q`` the expected shortfall of an allocation ``a``,
``ES(a) = E[(D − a)+] = ∫₀¹ (Q(u) − a)+ du``, has a closed form per segment.

Greedy. The k-th unit sent to a region reduces its expected shortfall by
``g(k) = ES(k − 1) − ES(k)`` (= ∫ P(D > x) dx over ``[k − 1, k]``), which never grows with k. Giving
units one at a time to the region with the largest reduction therefore ends with the ``budget``
largest reductions overall; :func:`newsvendor_allocation` finds that set directly by bisection on
the reduction threshold (same result, cost independent of the budget's size). Units whose
reductions tie at the threshold are shared in proportion to the tied units.
"""

from __future__ import annotations

import numpy as np

from vigia.errors import VigiaError

BISECTION_STEPS = 60


def demand_knots(values: np.ndarray, levels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The piecewise-linear quantile function of each row, with its tails closed at u=0 and u=1.

    Args:
        values: ``(regions, K)`` demand quantiles, non-decreasing along the last axis.
        levels: ``(K,)`` increasing quantile levels strictly inside (0, 1).

    Returns:
        ``u`` of shape ``(K + 2,)`` and ``x`` of shape ``(regions, K + 2)``.
    """
    values = np.maximum.accumulate(np.clip(np.asarray(values, dtype="float64"), 0.0, None), axis=1)
    levels = np.asarray(levels, dtype="float64")
    if values.ndim != 2 or values.shape[1] != levels.size or levels.size < 2:
        raise VigiaError(f"demand quantiles must be (regions, {levels.size}) with ≥ 2 levels")
    low_slope = (values[:, 1] - values[:, 0]) / (levels[1] - levels[0])
    high_slope = (values[:, -1] - values[:, -2]) / (levels[-1] - levels[-2])
    x0 = np.clip(values[:, 0] - low_slope * levels[0], 0.0, None)
    x1 = values[:, -1] + high_slope * (1.0 - levels[-1])
    u = np.concatenate([[0.0], levels, [1.0]])
    x = np.column_stack([x0, values, x1])
    return u, x


def expected_shortfall(u: np.ndarray, x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``E[(D − a)+]`` per region for allocations ``a``, shaped ``(regions,)`` or ``(R, M)``."""
    a = np.asarray(a, dtype="float64")
    squeeze = a.ndim == 1
    a3 = (a[:, None] if squeeze else a)[:, :, None]  # (R, M, 1)
    lo, hi = x[:, None, :-1], x[:, None, 1:]  # (R, 1, J)
    du = np.diff(u)[None, None, :]
    full = du * ((lo + hi) / 2.0 - a3)
    width = hi - lo
    partial = np.divide(
        (hi - a3) ** 2 * du,
        2.0 * width,
        out=np.zeros(np.broadcast_shapes(a3.shape, lo.shape)),
        where=width > 0,
    )
    per_segment = np.where(a3 <= lo, full, np.where(a3 >= hi, 0.0, partial))
    total = per_segment.sum(axis=-1)
    return total[:, 0] if squeeze else total


def shortage_probability(u: np.ndarray, x: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``P(D > a)`` per region: one minus the largest level whose quantile is ≤ ``a``."""
    a = np.asarray(a, dtype="float64")
    out = np.zeros(x.shape[0])
    for i, (xs, ai) in enumerate(zip(x, a, strict=True)):
        j = int(np.searchsorted(xs, ai, side="right")) - 1  # last knot with x_j ≤ a
        if j < 0:
            out[i] = 1.0
        elif j < xs.size - 1:  # x_j ≤ a < x_{j+1}
            out[i] = 1.0 - (u[j] + (ai - xs[j]) / (xs[j + 1] - xs[j]) * (u[j + 1] - u[j]))
    return out


def unit_gain(u: np.ndarray, x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Reduction in expected shortfall from the k-th unit of each region (k ≥ 1)."""
    k = np.asarray(k, dtype="float64")
    gain = expected_shortfall(u, x, k - 1.0) - expected_shortfall(u, x, k)
    return np.clip(gain, 0.0, 1.0)  # a probability integrated over one unit: within [0, 1]


def _units_above(u: np.ndarray, x: np.ndarray, threshold: float, floors: np.ndarray) -> np.ndarray:
    """Per region: the number of units whose gain exceeds ``threshold`` (≥ 0), at least the floor.

    Gains never grow with k, so this is the largest k with ``gain(k) > threshold``: a binary
    search per region, all regions at once.
    """
    lo = np.zeros(x.shape[0], dtype="int64")  # every unit up to lo has gain > threshold
    hi = np.ceil(x[:, -1]).astype("int64") + 1  # beyond the largest demand: gain(hi) = 0
    while np.any(active := hi - lo > 1):
        mid = (lo + hi) // 2
        ok = unit_gain(u, x, np.maximum(mid, 1)) > threshold
        lo = np.where(active & ok, mid, lo)
        hi = np.where(active & ~ok, mid, hi)
    return np.maximum(lo, floors)


def largest_remainder(units: int, weights: np.ndarray, cap: np.ndarray | None = None) -> np.ndarray:
    """Split ``units`` whole units in proportion to non-negative ``weights`` (largest remainder).

    With ``cap``, no row gets more than its cap (``units`` must not exceed ``cap.sum()``).
    """
    weights = np.asarray(weights, dtype="float64")
    total = weights.sum()
    if units <= 0 or total <= 0:
        return np.zeros(weights.size, dtype="int64")
    exact = units * weights / total
    base = np.floor(exact).astype("int64")
    order = np.argsort(-(exact - base), kind="stable")
    if cap is not None:
        order = order[base[order] < cap[order]]
    base[order[: units - int(base.sum())]] += 1
    return base


def newsvendor_allocation(
    u: np.ndarray, x: np.ndarray, budget: int, floors: np.ndarray | None = None
) -> np.ndarray:
    """Whole units per region minimising total expected unmet demand, floors first.

    Args:
        u, x: Demand quantile functions from :func:`demand_knots`.
        budget: Units available (≥ the sum of ``floors``).
        floors: Minimum units per region (equity floor); zeros when omitted.

    Returns:
        ``(regions,)`` integer allocation. It spends the whole budget unless every region is
        covered up to its largest possible demand (extra units would reduce nothing): the rest is
        left unallocated as a reserve.
    """
    floors = np.zeros(x.shape[0], "int64") if floors is None else np.asarray(floors, "int64")
    if int(floors.sum()) > budget:
        raise VigiaError(
            f"the floors need {int(floors.sum())} units, more than the budget {budget}"
        )
    everything = _units_above(u, x, 0.0, floors)
    if int(everything.sum()) <= budget:
        return everything
    t_lo, t_hi = 0.0, 1.0  # total(t_lo) > budget ≥ total(t_hi)
    for _ in range(BISECTION_STEPS):
        mid = (t_lo + t_hi) / 2.0
        if int(_units_above(u, x, mid, floors).sum()) > budget:
            t_lo = mid
        else:
            t_hi = mid
    base = _units_above(u, x, t_hi, floors)
    tied = _units_above(u, x, t_lo, floors) - base
    return base + largest_remainder(budget - int(base.sum()), tied, cap=tied)


def proportional_allocation(
    weights: np.ndarray, budget: int, floors: np.ndarray | None = None
) -> np.ndarray:
    """Floors first, then the rest of the budget in proportion to ``weights`` (largest remainder).

    All-zero weights split the rest equally. Used by the naive rules (recent cases, population).
    """
    weights = np.clip(np.asarray(weights, dtype="float64"), 0.0, None)
    floors = np.zeros(weights.size, "int64") if floors is None else np.asarray(floors, "int64")
    rest = budget - int(floors.sum())
    if rest < 0:
        raise VigiaError(
            f"the floors need {int(floors.sum())} units, more than the budget {budget}"
        )
    if weights.sum() <= 0:
        weights = np.ones_like(weights)
    return floors + largest_remainder(rest, weights)
