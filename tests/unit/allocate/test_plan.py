"""Populations, resources, allocation plans and the allocation backtest on the real Peru panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.allocate.backtest import backtest_allocation, format_backtest
from vigia.allocate.plan import plan_allocation, window_demand
from vigia.allocate.population import load_population, peru_population
from vigia.allocate.resources import get_resource, load_resources
from vigia.errors import VigiaError
from vigia.forecasts.quantiles import FLUSIGHT_LEVELS, HORIZONS, QuantileForecast
from vigia.models.catalog import make_forecaster

ORIGIN = pd.Timestamp("2022-03-06")


@pytest.fixture(scope="module")
def forecast(peru_panel: pd.DataFrame) -> QuantileForecast:
    history = peru_panel[peru_panel["week_start"] <= ORIGIN]
    return make_forecaster("persistence").fit(history).predict(history)


def test_population_is_the_2017_census_and_covers_the_panel(peru_panel: pd.DataFrame) -> None:
    population = peru_population()
    assert len(population) == 25
    assert population.sum() == 29_381_884  # INEI: people counted in the 2017 census
    assert population["LIMA"] == 9_485_405 and population["MADRE DE DIOS"] == 141_070
    assert set(peru_panel["region"]) <= set(population.index)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("region,people\nA,1\n", "missing column 'population'"),
        ("region,population\nA,1\nB,-3\n", "positive number \\(line 3\\)"),
        ("region,population\nA,1\nB,many\n", "positive number \\(line 3\\)"),
        ("region,population\nA,1\nA,2\n", "'A' appears more than once"),
    ],
)
def test_bad_population_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "population.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VigiaError, match=message):
        load_population(path)


def test_resources_load_and_the_bed_ratio_matches_the_line_list() -> None:
    from vigia.data.peru import load_peru_line_list

    resources = load_resources()
    assert {"test_kits", "hospital_bed_days", "vector_control_team_weeks"} <= set(resources)
    severity = load_peru_line_list()["enfermedad"]
    hospital_share = severity.isin(["DENGUE CON SENALES DE ALARMA", "DENGUE GRAVE"]).mean()
    assert hospital_share == pytest.approx(0.123, abs=5e-4)  # stated in resources.toml
    assert resources["hospital_bed_days"].units_per_case == pytest.approx(
        hospital_share * 4, abs=0.005
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[resources.x\n", "not valid TOML"),
        ("title = 'none'\n", "no \\[resources.NAME\\] tables"),
        ("[resources.x]\nlabel_en='a'\n", "lacks label_es"),
    ],
)
def test_bad_resource_files_are_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "resources.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(VigiaError, match=message):
        load_resources(path)


def test_unknown_resource_lists_the_known_ones() -> None:
    with pytest.raises(VigiaError, match="unknown resource 'masks'; choose from hospital_bed_days"):
        get_resource("masks")


def test_window_demand_sums_the_weekly_quantiles(forecast: QuantileForecast) -> None:
    demand = window_demand(forecast, 3, 2.0)
    row = demand.regions.index("PIURA")
    piura = forecast.values[forecast.keys["region"].tolist().index("PIURA")]
    np.testing.assert_allclose(demand.values[row], 2.0 * piura[:3].sum(axis=0))
    with pytest.raises(VigiaError, match="--weeks must be between 1 and 4"):
        window_demand(forecast, 5, 1.0)


def test_plan_spends_the_budget_with_the_floor_first(forecast: QuantileForecast) -> None:
    plan = plan_allocation(
        forecast, get_resource("test_kits"), 9000, peru_population(), weeks=4, floor_per_100k=3
    )
    table = plan.table.set_index("region")
    assert plan.allocated == 9000 and plan.reserve == 0
    assert (table["allocated"] >= table["floor"]).all()
    assert table.loc["LIMA", "floor"] == 285  # ⌈3 × 9,485,405 / 100,000⌉
    assert table.loc["PIURA", "allocated"] == table["allocated"].max()
    document = plan.to_dict()
    assert document["window"] == ["2022-03-13", "2022-04-03"]
    assert len(document["regions"]) == 21
    assert "PIURA" in plan.format_table()


def test_floor_beyond_the_budget_is_a_clear_error(forecast: QuantileForecast) -> None:
    with pytest.raises(VigiaError) as info:
        plan_allocation(forecast, get_resource("test_kits"), 5000, peru_population(), 4, 20)
    message = str(info.value)
    assert "the equity floor alone needs 5,636 tests" in message
    assert "budget is 5,000" in message and "--floor-per-100k to about 17.77" in message


@pytest.mark.parametrize("budget", [-1, 10.5, float("nan")])
def test_bad_budgets_are_refused(forecast: QuantileForecast, budget: float) -> None:
    with pytest.raises(VigiaError, match="--budget must be a whole number"):
        plan_allocation(forecast, get_resource("test_kits"), budget, None)


def _oracle(panel: pd.DataFrame, origins: list[pd.Timestamp]) -> QuantileForecast:
    """A forecast that knows the future: every quantile equals the observed cases."""
    regions = sorted(panel["region"].unique())
    lookup = panel.set_index(["region", "week_start"])["cases"]
    keys = pd.DataFrame([(r, o) for o in origins for r in regions], columns=["region", "origin"])
    values = np.stack(
        [
            np.repeat(
                [[lookup[(r, o + pd.Timedelta(weeks=h))]] for h in HORIZONS],
                len(FLUSIGHT_LEVELS),
                axis=1,
            )
            for r, o in keys.itertuples(index=False)
        ]
    )
    return QuantileForecast(keys, values, HORIZONS, FLUSIGHT_LEVELS)


def test_backtest_a_perfect_forecast_leaves_only_unavoidable_unmet_demand(
    peru_panel: pd.DataFrame,
) -> None:
    origins = list(pd.date_range("2022-01-02", periods=8, freq="7D"))
    past = peru_panel[peru_panel["week_start"] <= origins[-1]]
    persistence = make_forecaster("persistence").fit(past)
    naive = QuantileForecast.concat(
        [persistence.predict(peru_panel[peru_panel["week_start"] <= o]) for o in origins]
    )
    result = backtest_allocation(
        peru_panel,
        {"oracle": _oracle(peru_panel, origins), "persistence": naive},
        get_resource("test_kits"),
        peru_population(),
        weeks=4,
        budget_factor=1.0,
    )
    summary = result.summary()
    frame = result.per_origin
    assert summary["origins"] == 8
    np.testing.assert_allclose(frame["forecast:oracle"], frame["unavoidable"], atol=1e-6)
    assert (frame["last_4_weeks"] >= frame["unavoidable"] - 1e-9).all()
    assert summary["rules"]["forecast:oracle"]["vs_last_4_weeks"] < 0
    assert "| forecast:oracle |" in format_backtest(summary)


def test_regions_without_population_work_unless_a_floor_needs_them(
    forecast: QuantileForecast,
) -> None:
    keys = forecast.keys.assign(region=forecast.keys["region"].replace({"PIURA": "NEVERLAND"}))
    renamed = QuantileForecast(keys, forecast.values, forecast.horizons, forecast.levels)
    plan = plan_allocation(renamed, get_resource("test_kits"), 3000, peru_population())
    document = json.loads(json.dumps(plan.to_dict(), allow_nan=False, default=str))
    row = next(r for r in document["regions"] if r["region"] == "NEVERLAND")
    assert row["population"] is None and row["per_100k"] is None and row["allocated"] > 0
    with pytest.raises(VigiaError, match="no population for region\\(s\\) NEVERLAND"):
        plan_allocation(renamed, get_resource("test_kits"), 3000, peru_population(), 4, 1.0)
