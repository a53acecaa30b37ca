"""The extra training series read from the shipped Brazilian state file."""

from __future__ import annotations

import pandas as pd
import pytest
from forecast_settings import TINY_BOOSTED

from vigia.data import extra_series
from vigia.models.boosted import BoostedForecaster


def test_brazil_panel_is_the_shipped_weekly_state_file() -> None:
    panel = extra_series.brazil_weekly_panel()
    assert list(panel.columns) == ["region", "week_start", "cases", "source"]
    assert set(panel["source"]) == {"brazil"}
    regions = panel["region"].unique()
    assert len(regions) == 27 and all(r.startswith("BR/") and len(r) == 5 for r in regions)
    assert {"BR/SP", "BR/RJ", "BR/MG", "BR/DF", "BR/AC"} <= set(regions)
    assert (panel["week_start"].dt.dayofweek == 6).all()  # weeks start on Sunday
    assert panel["week_start"].min() == pd.Timestamp("2010-01-03")
    assert panel["week_start"].max() == pd.Timestamp("2024-08-04")
    assert not panel.duplicated(["region", "week_start"]).any()
    assert len(panel) == 27 * 762  # every state every week, no gap
    assert panel["cases"].notna().all() and (panel["cases"] >= 0).all()
    # the 2024 epidemic: Brazil's largest year in the file, millions of cases
    yearly = panel.groupby(panel["week_start"].dt.year)["cases"].sum()
    assert yearly.idxmax() == 2024 and yearly[2024] > 5e6


def test_brazil_is_an_extra_source_cut_at_the_origin() -> None:
    assert "brazil" in extra_series.EXTRA_SOURCES
    cut = pd.Timestamp("2016-03-06")
    panel = extra_series.extra_panel(["taiwan", "brazil"], cut, min_cases=200)
    assert panel["week_start"].max() <= cut
    assert set(panel["source"]) == {"taiwan", "brazil"}
    brazil = panel[panel["source"] == "brazil"]
    assert brazil["region"].nunique() == 27 and brazil["week_start"].max() == cut


def test_a_fit_counts_its_training_rows_by_source(
    slice_panel: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a fit learned from: the target panel's rows and the extra series' rows."""
    brazil = extra_series.LOADERS["brazil"]()
    three = brazil[brazil["region"].isin(["BR/AC", "BR/RJ", "BR/SP"])]
    monkeypatch.setitem(extra_series.LOADERS, "brazil", lambda: three)
    alone = BoostedForecaster(**{**TINY_BOOSTED, "extra": []})
    joint = BoostedForecaster(**{**TINY_BOOSTED, "extra": ["brazil"]})
    assert alone.training_rows == {}
    alone.fit(slice_panel)
    joint.fit(slice_panel)
    assert alone.training_rows["extra"] == 0 < joint.training_rows["extra"]
    assert alone.training_rows["target"] == joint.training_rows["target"] > 0
