"""Growth-phase (local polynomial) and spatial features on toy series with hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from vigia.features.forecast import build_features
from vigia.features.spatial import peru_adjacency, spatial_features
from vigia.features.trend import local_trend, polynomial_filters, trend_features


def test_linear_fit_over_three_weeks_matches_the_hand_computed_line() -> None:
    # y = 1, 2, 4 at x = -2, -1, 0: mean x = -1, mean y = 7/3,
    # slope = ((-1)(1 - 7/3) + (1)(4 - 7/3)) / 2 = 1.5, value at 0 = 7/3 + 1.5 = 23/6
    out = local_trend(np.array([1.0, 2.0, 4.0]), window=3, degree=1)
    assert np.isnan(out[:2]).all()
    assert out[2, 0] == pytest.approx(23 / 6)
    assert out[2, 1] == pytest.approx(1.5)


def test_quadratic_fit_recovers_a_parabola_exactly() -> None:
    # y = 2 + 3x + 0.5x² sampled at x = -5 … 0 (oldest first): level 2, slope 3, curvature 0.5
    x = np.arange(-5, 1, dtype="float64")
    out = local_trend(2 + 3 * x + 0.5 * x**2, window=4, degree=2)
    np.testing.assert_allclose(out[-1], [2.0, 3.0, 0.5], atol=1e-9)
    assert np.isnan(out[:3]).all()
    # the filters' rows reproduce 1, x, x² (least squares is exact on polynomials of its degree)
    filters = polynomial_filters(4, 2)
    np.testing.assert_allclose(filters @ np.array([9.0, 4.0, 1.0, 0.0]), [0, 0, 1], atol=1e-9)


def test_a_missing_week_makes_the_windows_holding_it_missing() -> None:
    values = np.array([1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0])
    out = local_trend(values, window=3, degree=1)
    assert np.isnan(out[2:5, 1]).all()  # windows ending at positions 2, 3, 4 hold the gap
    assert out[5, 1] == pytest.approx(1.0) and out[6, 1] == pytest.approx(1.0)


def toy_panel(series: dict[str, list[float]]) -> pd.DataFrame:
    weeks = pd.date_range("2022-01-02", periods=len(next(iter(series.values()))), freq="7D")
    return pd.DataFrame(
        [
            {"region": r, "week_start": w, "cases": c}
            for r, values in series.items()
            for w, c in zip(weeks, values, strict=True)
        ]
    )


def test_trend_features_are_on_the_log1p_scale_and_relative_to_the_level() -> None:
    # log1p(cases) = 0, 1, 2, 3 (cases = e^k − 1): slope 1 per week, fitted value 3 at the origin
    panel = toy_panel({"A": [math.expm1(k) for k in range(4)]})
    level = build_features(panel)["level"]
    trend = trend_features(panel, level, windows=((3, 1), (4, 2)))
    last = trend.iloc[-1]
    assert last["trend_slope_3"] == pytest.approx(1.0)
    assert last["trend_slope_4"] == pytest.approx(1.0)
    assert last["trend_curv_4"] == pytest.approx(0.0, abs=1e-9)
    mean4 = np.mean([math.expm1(k) for k in range(4)])
    assert last["trend_level_4"] == pytest.approx(3.0 - math.log1p(mean4))


def test_spatial_features_on_a_toy_country() -> None:
    # A and B are neighbours, C has none. B doubles every week; A and C are constant.
    panel = toy_panel({"A": [3, 3, 3, 3], "B": [1, 2, 4, 8], "C": [5, 5, 5, 5]})
    adjacency = {"A": frozenset({"B"}), "B": frozenset({"A"})}
    base = build_features(panel)
    out = spatial_features(panel, base["level"], adjacency)
    frame = pd.concat([base[["region", "origin"]], out], axis=1).set_index(["region", "origin"])
    last = pd.Timestamp("2022-01-23")
    a = frame.loc[("A", last)]
    # A's neighbour B: 4-week mean (1 + 2 + 4 + 8) / 4 = 3.75; A's own level log1p(3)
    assert a["nb_rel"] == pytest.approx(math.log1p(3.75) - math.log1p(3))
    # B's growth: least-squares slope of log1p(1, 2, 4, 8) = log 2, 3, 5, 9 at x = -3 … 0
    slope_b = (-1.5 * math.log(2) - 0.5 * math.log(3) + 0.5 * math.log(5) + 1.5 * math.log(9)) / 5
    assert a["nb_slope"] == pytest.approx(slope_b)
    # national leave-one-out for C: A + B = 4, 5, 7, 11 → log 5, 6, 8, 12
    slope_c = (-1.5 * math.log(5) - 0.5 * math.log(6) + 0.5 * math.log(8) + 1.5 * math.log(12)) / 5
    c = frame.loc[("C", last)]
    assert c["nat_slope"] == pytest.approx(slope_c)
    assert np.isnan(c["nb_rel"]) and np.isnan(c["nb_slope"])  # no neighbours


def test_spatial_features_tolerate_gaps_and_ragged_regions() -> None:
    panel = toy_panel({"A": [3, 3, np.nan, 3, 3], "B": [1, 2, 4, 8, 16]})
    panel = panel[~((panel["region"] == "B") & (panel["week_start"] == panel["week_start"].min()))]
    adjacency = {"A": frozenset({"B"}), "B": frozenset({"A"})}
    base = build_features(panel)
    out = spatial_features(panel, base["level"], adjacency)
    assert len(out) == len(panel)
    assert np.isfinite(out["nb_rel"].to_numpy()[base["region"].to_numpy() == "A"][-1])


def test_the_shipped_adjacency_is_symmetric_and_covers_the_panel() -> None:
    adjacency = peru_adjacency()
    assert len(adjacency) == 25
    for region, near in adjacency.items():
        assert region not in near
        assert all(region in adjacency[other] for other in near)
    assert adjacency["CALLAO"] == frozenset({"LIMA"})
    assert {"TUMBES", "CAJAMARCA", "LAMBAYEQUE"} == adjacency["PIURA"]
