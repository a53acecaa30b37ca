"""The newsvendor on quantiles: closed-form expected shortfall, greedy equivalence, floors."""

from __future__ import annotations

import heapq

import numpy as np
import pytest
from scipy.stats import norm

from vigia.allocate.newsvendor import (
    demand_knots,
    expected_shortfall,
    largest_remainder,
    newsvendor_allocation,
    proportional_allocation,
    shortage_probability,
    unit_gain,
)
from vigia.errors import VigiaError
from vigia.forecasts.quantiles import FLUSIGHT_LEVELS

LEVELS = np.asarray(FLUSIGHT_LEVELS)


def _normal_quantiles(seed: int, regions: int = 8) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mean, sd = rng.uniform(0, 200, regions), rng.uniform(1, 60, regions)
    return np.clip(mean[:, None] + sd[:, None] * norm.ppf(LEVELS)[None, :], 0.0, None)


def _greedy_one_unit_at_a_time(u: np.ndarray, x: np.ndarray, budget: int) -> np.ndarray:
    """The literal greedy: each unit to the region whose shortfall it reduces most."""
    regions = x.shape[0]
    given = np.zeros(regions, dtype="int64")
    ones = np.ones(regions)
    heap = [(-unit_gain(u, x, ones)[r], r) for r in range(regions)]
    heapq.heapify(heap)
    for _ in range(budget):
        gain, r = heapq.heappop(heap)
        if -gain <= 0:
            break
        given[r] += 1
        nxt = ones.copy()
        nxt[r] = given[r] + 1
        heapq.heappush(heap, (-unit_gain(u, x, nxt)[r], r))
    return given


def test_expected_shortfall_of_a_uniform_demand_is_exact() -> None:
    # Quantiles of U(0, 100): E[(D - a)+] = (100 - a)^2 / 200.
    u, x = demand_knots(100 * LEVELS[None, :], LEVELS)
    assert x[0, 0] == pytest.approx(0.0) and x[0, -1] == pytest.approx(100.0)
    a = np.array([[0.0, 10.0, 50.0, 99.5, 100.0, 150.0]])
    expected = np.clip(100 - a, 0, None) ** 2 / 200
    np.testing.assert_allclose(expected_shortfall(u, x, a), expected, atol=1e-9)
    np.testing.assert_allclose(shortage_probability(u, x, np.array([25.0])), [0.75])


def test_expected_shortfall_at_zero_is_the_mean_of_the_quantile_function() -> None:
    values = _normal_quantiles(1, regions=3)
    u, x = demand_knots(values, LEVELS)
    grid = np.linspace(0, 1, 200_001)
    means = [np.interp(grid, u, row).mean() for row in x]
    np.testing.assert_allclose(expected_shortfall(u, x, np.zeros(3)), means, rtol=1e-4)


@pytest.mark.parametrize("budget", [0, 1, 37, 300, 800, 2000])
def test_allocation_matches_the_one_unit_at_a_time_greedy(budget: int) -> None:
    u, x = demand_knots(_normal_quantiles(0), LEVELS)
    fast = newsvendor_allocation(u, x, budget)
    slow = _greedy_one_unit_at_a_time(u, x, budget)
    assert fast.sum() == slow.sum()
    assert expected_shortfall(u, x, fast).sum() == pytest.approx(
        expected_shortfall(u, x, slow).sum(), abs=1e-6
    )


def test_budget_is_spent_until_every_region_is_covered_then_kept_in_reserve() -> None:
    u, x = demand_knots(_normal_quantiles(2), LEVELS)
    assert newsvendor_allocation(u, x, 500).sum() == 500
    huge = newsvendor_allocation(u, x, 10**9)
    assert huge.sum() < 10**9
    assert np.all(huge >= np.floor(x[:, -1]))
    assert expected_shortfall(u, x, huge).sum() == pytest.approx(0.0, abs=1e-9)


def test_more_budget_never_leaves_more_unmet_demand() -> None:
    u, x = demand_knots(_normal_quantiles(3), LEVELS)
    unmet = [
        expected_shortfall(u, x, newsvendor_allocation(u, x, b)).sum() for b in range(0, 900, 50)
    ]
    assert np.all(np.diff(unmet) <= 1e-9)


def test_units_go_where_demand_is_uncertain_not_only_where_it_is_large() -> None:
    # Region 0: certainly 100; region 1: median 50 but could reach ~250.
    certain = np.full(len(LEVELS), 100.0)
    wide = np.clip(50 + 80 * norm.ppf(LEVELS), 0, None)
    u, x = demand_knots(np.vstack([certain, wide]), LEVELS)
    allocation = newsvendor_allocation(u, x, 200)
    assert allocation[0] == 100  # the certain demand is met exactly, nothing wasted
    assert allocation[1] == 100


def test_floors_come_first_and_zero_demand_gets_only_its_floor() -> None:
    values = np.vstack([np.zeros(len(LEVELS)), _normal_quantiles(4, regions=2)])
    u, x = demand_knots(values, LEVELS)
    floors = np.array([7, 0, 3])
    allocation = newsvendor_allocation(u, x, 60, floors)
    assert allocation[0] == 7
    assert np.all(allocation >= floors) and allocation.sum() == 60
    with pytest.raises(VigiaError, match="floors need 10 units, more than the budget 9"):
        newsvendor_allocation(u, x, 9, floors)


def test_proportional_rules_split_the_whole_budget_by_largest_remainder() -> None:
    split = proportional_allocation(np.array([1.0, 1.0, 1.0]), 10)
    assert sorted(split.tolist()) == [3, 3, 4]
    assert proportional_allocation(np.zeros(4), 8).tolist() == [2, 2, 2, 2]
    floored = proportional_allocation(np.array([0.0, 9.0]), 12, np.array([2, 0]))
    assert floored.tolist() == [2, 10]
    assert largest_remainder(5, np.array([1.0, 3.0]), cap=np.array([1, 3])).tolist() == [1, 3]
