"""The endemic channel on toy series, exceedance probabilities and alert levels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.forecasts.endemic import (
    AlertRule,
    alert_level,
    complete_years,
    endemic_channel,
    epi_year_week,
    exceedance_probability,
    forecast_alerts,
)
from vigia.forecasts.quantiles import QuantileForecast
from vigia.models.base import load_forecaster
from vigia.models.baselines import Persistence


def toy_panel() -> pd.DataFrame:
    """One region, MMWR weeks of 2019–2022 (Sunday starts) plus 10 weeks of 2023; in year k
    (0-based) every week has 10·(k+1) cases, except week 10 which has 100·(k+1)."""
    weeks = pd.date_range("2018-12-30", "2023-03-05", freq="7D")
    year, week = epi_year_week(weeks)
    cases = 10.0 * (year - 2018) * np.where(week == 10, 10, 1)
    return pd.DataFrame({"region": "R", "week_start": weeks, "cases": cases})


def test_epi_weeks_of_sunday_starts_are_mmwr_weeks() -> None:
    year, week = epi_year_week(pd.DatetimeIndex(["2018-12-30", "2021-01-03", "2020-12-27"]))
    assert year.tolist() == [2019, 2021, 2020]
    assert week.tolist() == [1, 1, 53]


def test_quartile_channel_uses_complete_past_years_only() -> None:
    panel = toy_panel()
    assert complete_years(panel) == [2019, 2020, 2021, 2022]  # 2023 is incomplete
    channel = endemic_channel(panel, window=0)
    row = channel.table.set_index("week").loc[20]
    # week 20 of 2019…2022 has 10, 20, 30, 40 cases: quartiles 17.5, 25, 32.5
    assert (row["lower"], row["center"], row["upper"]) == pytest.approx((17.5, 25.0, 32.5))
    assert row["years"] == 4
    spike = channel.table.set_index("week").loc[10]
    assert spike["center"] == pytest.approx(250.0)


def test_channel_before_a_date_ignores_that_year_and_later() -> None:
    channel = endemic_channel(toy_panel(), window=0, before=pd.Timestamp("2022-06-05"))
    assert channel.years == (2019, 2020, 2021)
    assert channel.table.set_index("week").loc[20, "center"] == pytest.approx(20.0)


def test_pooling_neighbouring_weeks_and_mean_2sd() -> None:
    channel = endemic_channel(toy_panel(), method="mean_2sd", window=1)
    row = channel.table.set_index("week").loc[20]
    values = np.repeat([10.0, 20.0, 30.0, 40.0], 3)  # weeks 19, 20, 21 of each year
    sd = values.std(ddof=1)
    assert row["center"] == pytest.approx(25.0)
    assert row["upper"] == pytest.approx(25.0 + 2 * sd)
    assert row["lower"] == pytest.approx(max(25.0 - 2 * sd, 0.0))


def test_too_few_past_years_give_no_channel() -> None:
    short = toy_panel()[lambda p: p["week_start"] < pd.Timestamp("2020-06-01")]
    channel = endemic_channel(short, min_years=2)
    assert channel.years == (2019,)
    assert channel.table["upper"].isna().all()
    no_year = endemic_channel(short[short["week_start"] < pd.Timestamp("2019-06-01")])
    assert no_year.years == () and len(no_year.table) == 53
    assert no_year.table["upper"].isna().all()


def test_exceedance_probability_interpolates_the_quantile_function() -> None:
    levels = (0.1, 0.5, 0.9)
    values = np.array([[10.0, 20.0, 30.0]] * 5)
    cut = np.array([15.0, 20.0, 5.0, 40.0, np.nan])
    p = exceedance_probability(values, levels, cut)
    np.testing.assert_allclose(p[:4], [0.7, 0.5, 0.9, 0.1])  # limited to [0.1, 0.9]
    assert np.isnan(p[4])
    # all quantiles 0 (a region without cases): P(> 0) is the smallest it can be
    assert exceedance_probability(np.zeros((1, 3)), levels, np.array([0.0]))[0] == pytest.approx(
        0.1
    )


def test_alert_levels_follow_the_rule() -> None:
    p = np.array([0.05, 0.2, 0.49, 0.5, 0.99, np.nan])
    levels = alert_level(p, AlertRule(alert_probability=0.2, epidemic_probability=0.5))
    assert levels.tolist() == ["safety", "alert", "alert", "epidemic", "epidemic", "unknown"]


def test_forecast_alerts_compare_the_forecast_with_the_channel() -> None:
    channel = endemic_channel(toy_panel(), window=0)
    keys = pd.DataFrame({"region": ["R"], "origin": [pd.Timestamp("2023-02-19")]})  # week 8
    levels = (0.05, 0.5, 0.95)
    values = np.array([[[10.0, 20.0, 30.0], [200.0, 300.0, 400.0]]])  # weeks 9 and 10
    alerts = forecast_alerts(QuantileForecast(keys, values, (1, 2), levels), channel)
    assert alerts["target_week"].dt.strftime("%Y-%m-%d").tolist() == ["2023-02-26", "2023-03-05"]
    # week 9 upper quartile 32.5 → P(> 32.5) at the floor 0.05: safety;
    # week 10 upper quartile 325 → P(> 325) = 0.5 − 0.45·25/100 = 0.3875: alert
    assert alerts["p_above_upper"].tolist() == pytest.approx([0.05, 0.3875])
    assert alerts["level"].tolist() == ["safety", "alert"]


def test_the_channel_travels_with_a_saved_forecaster(tmp_path: Path) -> None:
    panel = toy_panel()
    model = Persistence().fit(panel)  # every forecaster keeps its channel when fitted
    model.save(tmp_path / "m")
    loaded = load_forecaster(tmp_path / "m")
    assert loaded.endemic is not None
    pd.testing.assert_frame_equal(loaded.endemic.table, model.endemic.table)
    assert loaded.endemic.years == model.endemic.years
