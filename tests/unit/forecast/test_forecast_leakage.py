"""No leakage: changing the future never changes a forecast made at an earlier origin."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from forecast_settings import TINY_BOOSTED, TINY_HYBRID, TINY_LSTM, TINY_XGB

from vigia.data import extra_series
from vigia.evaluate.backtest import rolling_origin_backtest
from vigia.models.catalog import FORECASTERS
from vigia.models.lstm import LSTMForecaster

CUT = pd.Timestamp("2022-10-16")  # weeks after this are perturbed


def perturbed(panel: pd.DataFrame) -> pd.DataFrame:
    """The same panel with every week after CUT multiplied by 7 plus 40 cases."""
    out = panel.copy()
    later = out["week_start"] > CUT
    out.loc[later, "cases"] = out.loc[later, "cases"] * 7 + 40
    return out


def split(forecast: object, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    early = (forecast.keys["origin"] <= CUT).to_numpy()  # type: ignore[attr-defined]
    return values[early], values[~early]


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("seasonal_naive", {}),
        ("autoets", {}),
        ("xgboost", TINY_XGB),
        ("boosted", TINY_BOOSTED),
        ("count_ar", {}),
        ("hybrid", TINY_HYBRID),
    ],
)
def test_backtest_forecasts_before_the_change_are_unchanged(
    method: str, params: dict, slice_panel: pd.DataFrame
) -> None:
    origins = list(pd.DatetimeIndex(sorted(slice_panel["week_start"].unique()))[-16:-4])
    assert origins[0] < CUT < origins[-1]
    factories = {
        "persistence": FORECASTERS["persistence"],
        method: lambda: FORECASTERS[method](**params),
    }
    results = [
        rolling_origin_backtest(panel, factories, origins=origins, refit_every=4)
        for panel in (slice_panel, perturbed(slice_panel))
    ]
    runs = [result.forecasts[method] for result in results]
    # the hybrid (an expensive model) is refitted every 26 weeks, rounded up to 7 blocks of 4
    cadence = results[0].scores_json()["refit_every_by_method"]
    assert cadence == {"persistence": 4, method: 28 if method == "hybrid" else 4}
    before_a, after_a = split(runs[0], runs[0].values)
    before_b, after_b = split(runs[1], runs[1].values)
    assert len(before_a) > 0 and len(after_a) > 0
    np.testing.assert_array_equal(before_a, before_b)
    assert not np.allclose(after_a, after_b), "the perturbation should change later forecasts"


def test_lstm_forecasts_before_the_change_are_unchanged(slice_panel: pd.DataFrame) -> None:
    model = LSTMForecaster(**TINY_LSTM).fit(slice_panel[slice_panel["week_start"] <= CUT])
    origins = list(pd.DatetimeIndex(sorted(slice_panel["week_start"].unique()))[-12:])
    original = model.predict_origins(slice_panel, origins)
    changed = model.predict_origins(perturbed(slice_panel), origins)
    before_a, after_a = split(original, original.values)
    before_b, after_b = split(changed, changed.values)
    np.testing.assert_array_equal(before_a, before_b)
    assert not np.allclose(after_a, after_b)


@pytest.mark.parametrize("source", ["taiwan", "brazil"])
def test_extra_series_future_never_reaches_an_earlier_forecast(
    source: str, slice_panel: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Perturb only one *extra* training series (Taiwan or Brazil) after CUT: forecasts from
    origins up to CUT are unchanged, later refits (which may see the perturbed weeks) change.
    Brazil is cut to three real states: its 27 make a fit cost 30 s of CPU."""
    original = extra_series.LOADERS[source]()
    if source == "brazil":
        original = original[original["region"].isin(["BR/AC", "BR/RJ", "BR/SP"])]
    later = original["week_start"] > CUT
    assert later.any() and (original.loc[later, "cases"] > 0).any()
    changed = original.copy()
    changed.loc[later, "cases"] = original.loc[later, "cases"] * 7 + 40
    origins = list(pd.DatetimeIndex(sorted(slice_panel["week_start"].unique()))[-16:-4])
    params = {**TINY_BOOSTED, "extra": [source]}
    factories = {
        "persistence": FORECASTERS["persistence"],
        "boosted": lambda: FORECASTERS["boosted"](**params),
    }
    runs = []
    for panel in (original, changed):
        monkeypatch.setitem(extra_series.LOADERS, source, lambda s=panel: s)
        result = rolling_origin_backtest(slice_panel, factories, origins=origins, refit_every=4)
        runs.append(result.forecasts["boosted"])
    before_a, after_a = split(runs[0], runs[0].values)
    before_b, after_b = split(runs[1], runs[1].values)
    np.testing.assert_array_equal(before_a, before_b)
    assert not np.allclose(after_a, after_b), "refits after CUT should see the changed weeks"


def test_extra_panel_is_cut_at_the_origin() -> None:
    cut = pd.Timestamp("2015-06-07")
    panel = extra_series.extra_panel(["taiwan", "peru_provinces", "brazil"], cut, min_cases=50)
    assert panel["week_start"].max() <= cut
    assert set(panel["source"]) == {"taiwan", "brazil"}  # the Peru line list starts in 2019
    assert panel.groupby("region")["cases"].sum().min() >= 50
