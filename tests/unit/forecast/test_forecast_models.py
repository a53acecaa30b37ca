"""Every forecaster gives 23 sorted, finite, non-negative quantiles for horizons 1–4, on real
slices, a single region and near-empty regions; vectorised and per-origin forecasts agree;
saved models predict what they predicted before saving."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from forecast_settings import TINY_BOOSTED, TINY_HYBRID, TINY_LSTM, TINY_XGB

from vigia.forecasts.quantiles import FLUSIGHT_LEVELS, HORIZONS
from vigia.models.base import Forecaster, load_forecaster
from vigia.models.catalog import FORECASTERS

SETTINGS: dict[str, dict[str, Any]] = {
    "persistence": {},
    "seasonal_naive": {},
    "autoets": {},
    "autoarima": {},
    "xgboost": TINY_XGB,
    "boosted": TINY_BOOSTED,
    "count_ar": {},
    "lstm": TINY_LSTM,
    "hybrid": TINY_HYBRID,
}


def make(method: str) -> Forecaster:
    return FORECASTERS[method](**SETTINGS[method])


def assert_valid(values: np.ndarray, rows: int) -> None:
    assert values.shape == (rows, len(HORIZONS), len(FLUSIGHT_LEVELS))
    assert np.isfinite(values).all()
    assert (values >= 0).all()
    assert (np.diff(values, axis=-1) >= 0).all(), "quantiles cross"


@pytest.mark.parametrize("method", list(SETTINGS))
def test_quantiles_sorted_finite_on_real_regions(method: str, zeros_panel: pd.DataFrame) -> None:
    """PIURA (an outbreak) and AREQUIPA/CALLAO (almost all zeros)."""
    model = make(method).fit(zeros_panel)
    forecast = model.predict(zeros_panel)
    assert_valid(forecast.values, 3)
    assert forecast.keys["region"].tolist() == ["AREQUIPA", "CALLAO", "PIURA"]
    assert (forecast.keys["origin"] == zeros_panel["week_start"].max()).all()
    assert model.endemic is not None


@pytest.mark.parametrize("method", ["autoets", "xgboost", "boosted", "count_ar", "lstm", "hybrid"])
def test_single_region_and_short_history(method: str, slice_panel: pd.DataFrame) -> None:
    one = slice_panel[slice_panel["region"] == "LORETO"].reset_index(drop=True)
    model = make(method).fit(one)
    assert_valid(model.predict(one).values, 1)
    # a client may send only a few weeks: still valid quantiles
    assert_valid(model.predict(one.tail(model.min_history)).values, 1)


@pytest.mark.parametrize("method", ["xgboost", "boosted", "count_ar", "lstm", "hybrid"])
def test_vectorised_origins_equal_one_predict_per_origin(
    method: str, slice_panel: pd.DataFrame
) -> None:
    train = slice_panel[slice_panel["week_start"] <= pd.Timestamp("2022-06-05")]
    model = make(method).fit(train)
    origins = list(pd.DatetimeIndex(sorted(slice_panel["week_start"].unique()))[-8:-4])
    fast = model.predict_origins(slice_panel, origins)
    slow = Forecaster.predict_origins(model, slice_panel, origins)
    pd.testing.assert_frame_equal(fast.keys, slow.keys)
    np.testing.assert_allclose(fast.values, slow.values, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("method", ["autoets", "xgboost", "boosted", "count_ar", "hybrid"])
def test_saved_model_predicts_the_same(
    method: str, slice_panel: pd.DataFrame, tmp_path: Path
) -> None:
    model = make(method).fit(slice_panel)
    before = model.predict(slice_panel).values
    model.save(tmp_path / method)
    after = load_forecaster(tmp_path / method).predict(slice_panel).values
    np.testing.assert_allclose(after, before, rtol=1e-9)
