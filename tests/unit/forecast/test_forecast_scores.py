"""WIS, its parts and coverage against values computed by hand."""

from __future__ import annotations

import numpy as np
import pytest

from vigia.forecasts.quantiles import FLUSIGHT_LEVELS
from vigia.forecasts.wis import coverage, interval_pairs, wis_parts

LEVELS = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILES = np.array([2.0, 4.0, 5.0, 7.0, 10.0])


def test_interval_pairs_of_the_flusight_levels() -> None:
    pairs = interval_pairs(FLUSIGHT_LEVELS)
    assert len(pairs) == 11
    assert pairs[0][2] == pytest.approx(0.02)  # the 98 % interval
    assert pairs[-1][2] == pytest.approx(0.9)  # the 10 % interval


@pytest.mark.parametrize(
    ("y", "dispersion", "over", "under"),
    [
        # y inside every interval: only dispersion.
        # (0.5·0 + 0.05·(10−2) + 0.25·(7−4)) / 2.5 = (0.4 + 0.75) / 2.5
        (5.0, 1.15 / 2.5, 0.0, 0.0),
        # y = 12 above everything: under = 0.5·|12−5| + (12−10) + (12−7) = 3.5 + 2 + 5
        (12.0, 1.15 / 2.5, 0.0, 10.5 / 2.5),
        # y = 3: below the 50 % interval (4 − 3) and the median (0.5·2), inside the 90 %
        (3.0, 1.15 / 2.5, 2.0 / 2.5, 0.0),
    ],
)
def test_wis_parts_match_hand_computation(
    y: float, dispersion: float, over: float, under: float
) -> None:
    parts = wis_parts(QUANTILES[None, :], LEVELS, np.array([y]))
    assert parts["dispersion"][0] == pytest.approx(dispersion)
    assert parts["overprediction"][0] == pytest.approx(over)
    assert parts["underprediction"][0] == pytest.approx(under)
    assert parts["wis"][0] == pytest.approx(dispersion + over + under)


def test_wis_equals_twice_the_mean_pinball_loss() -> None:
    rng = np.random.default_rng(0)
    values = np.sort(rng.gamma(2.0, 10.0, size=(50, len(FLUSIGHT_LEVELS))), axis=1)
    y = rng.gamma(2.0, 10.0, size=50)
    tau = np.asarray(FLUSIGHT_LEVELS)
    error = y[:, None] - values
    pinball = np.maximum(tau * error, (tau - 1) * error)
    # WIS with K = 11 intervals and the median = Σ pinball / (K + 0.5) = 2 · mean pinball over
    # the 23 levels (Bracher et al. 2021).
    expected = pinball.sum(axis=1) / (11 + 0.5)
    np.testing.assert_allclose(wis_parts(values, FLUSIGHT_LEVELS, y)["wis"], expected)


def test_point_forecast_wis_is_half_the_absolute_error() -> None:
    values = np.full((1, len(FLUSIGHT_LEVELS)), 10.0)
    parts = wis_parts(values, FLUSIGHT_LEVELS, np.array([16.0]))
    # every interval collapses to 10: (0.5·6 + Σ_k α_k/2 · 2/α_k · 6) / 11.5 = (3 + 11·6)/11.5
    assert parts["wis"][0] == pytest.approx((3 + 66) / 11.5)


def test_coverage_counts_the_interval_edges_as_inside() -> None:
    values = np.array([QUANTILES, QUANTILES, QUANTILES])
    y = np.array([2.0, 10.0, 10.5])
    np.testing.assert_array_equal(coverage(values, LEVELS, y, 0.9), [1.0, 1.0, 0.0])
    np.testing.assert_array_equal(coverage(values, LEVELS, y, 0.5), [0.0, 0.0, 0.0])
