"""The array paths serving uses give exactly what the DataFrame paths give: features at an
origin (vs ``build_features``) and XGBoost's trees as arrays (vs XGBoost's predictor), on the
real Peru panel with ragged starts and unreported weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vigia.features.forecast import FEATURES, build_features, features_at_last, iso_weeks
from vigia.models.base import panel_series
from vigia.models.tree_arrays import compile_boosters
from vigia.models.xgboost_forecaster import XGBoostForecaster, predict_dense


@pytest.fixture(scope="module")
def gapped(peru_panel: pd.DataFrame) -> pd.DataFrame:
    """The real panel with 15 % of weeks unreported and PIURA starting 75 weeks late."""
    panel = peru_panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    panel.loc[np.random.default_rng(0).random(len(panel)) < 0.15, "cases"] = np.nan
    late = (panel["region"] == "PIURA") & (panel["week_start"] < pd.Timestamp("2020-06-01"))
    return panel[~late].reset_index(drop=True)


def _every_origin(panel: pd.DataFrame) -> tuple[list[np.ndarray], np.ndarray]:
    """Every (region, week) of the panel as a series ending at that week."""
    series, origins = [], []
    for _, group in panel.groupby("region", sort=True):
        cases = group["cases"].to_numpy()
        weeks = group["week_start"].to_numpy()
        for n in range(1, len(cases) + 1):
            series.append(cases[:n])
            origins.append(weeks[n - 1])
    return series, np.array(origins, dtype="datetime64[ns]")


def test_features_at_last_equal_build_features_at_every_week(gapped: pd.DataFrame) -> None:
    series, origins = _every_origin(gapped)
    expected = build_features(gapped)[FEATURES].to_numpy()
    got = features_at_last(series, origins)
    assert got.shape == expected.shape == (len(gapped), len(FEATURES))
    np.testing.assert_array_equal(got, expected)  # NaN where NaN, every other value exact


def test_iso_weeks_match_pandas() -> None:
    days = pd.date_range("1999-12-20", "2031-01-10", freq="D")
    expected = days.isocalendar().week.to_numpy(dtype="float64")
    np.testing.assert_array_equal(iso_weeks(days.to_numpy()), expected)


def test_trees_as_arrays_equal_xgboost_and_predict_uses_one_path(gapped: pd.DataFrame) -> None:
    model = XGBoostForecaster(n_estimators=20, n_jobs=1).fit(gapped)
    features = build_features(gapped)[FEATURES].to_numpy()
    arrays = compile_boosters([model.boosters[h] for h in model.horizons])
    assert arrays is not None
    expected = np.stack(
        [predict_dense(model.boosters[h], features).reshape(len(features), -1)
         for h in model.horizons],
        axis=1,
    )  # fmt: skip
    np.testing.assert_array_equal(arrays.predict(features), expected)
    reference = np.asarray(model.boosters[1].inplace_predict(features)).reshape(len(features), -1)
    np.testing.assert_array_equal(expected[:, 0], reference)
    # A whole panel (XGBoost's predictor) and one region at a time (the arrays) agree exactly.
    whole = model.predict(gapped)
    regions, series, origins = panel_series(gapped)
    for i in range(len(regions)):
        alone = model.predict_series(series[i : i + 1], origins[i : i + 1])
        np.testing.assert_array_equal(alone[0], whole.values[i])
