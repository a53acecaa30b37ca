"""The Peru line list → weekly department panel."""

from __future__ import annotations

import pandas as pd

from vigia.data.card import data_card, panel_hash
from vigia.data.peru import epiweek_start, load_peru_line_list, peru_weekly_panel


def test_epidemiological_weeks_map_to_sundays() -> None:
    starts = epiweek_start(pd.Series([2019, 2020, 2020, 2021]), pd.Series([1, 1, 53, 1]))
    assert [f"{d:%Y-%m-%d}" for d in starts] == [
        "2018-12-30",
        "2019-12-29",
        "2020-12-27",
        "2021-01-03",
    ]
    assert (starts.dt.dayofweek == 6).all()
    assert epiweek_start(pd.Series([2021]), pd.Series([53])).isna().all()  # 2021 has 52 weeks


def test_department_panel_is_complete_and_counts_every_case(peru_panel: pd.DataFrame) -> None:
    line_list = load_peru_line_list()
    assert len(line_list) == 171_282
    known = line_list[line_list["departamento"] != "\\N"]
    assert peru_panel["region"].nunique() == 21
    assert peru_panel.groupby("region").size().eq(209).all()  # 2019-W01 … 2022-W52, zero-filled
    assert peru_panel["cases"].sum() == len(known)
    piura = peru_panel[peru_panel["region"] == "PIURA"].set_index("week_start")["cases"]
    raw = known[
        (known["departamento"] == "PIURA") & (known["ano"] == 2022) & (known["semana"] == 10)
    ]
    assert piura[pd.Timestamp("2022-03-06")] == len(raw)


def test_data_card_reports_drops_and_a_stable_hash(peru_panel: pd.DataFrame) -> None:
    built = peru_weekly_panel()
    card = data_card(built.panel, "peru", built.rows_in, built.dropped)
    assert card["rows_in"] == 171_282
    assert card["rows_dropped"] == {"unknown departamento (\\N)": 57}
    assert card["week_range"] == ["2018-12-30", "2022-12-25"]
    assert card["content_hash"] == panel_hash(peru_panel.sample(frac=1.0, random_state=1))
    changed = peru_panel.copy()
    changed.loc[0, "cases"] += 1
    assert panel_hash(changed) != card["content_hash"]


def test_province_level_panel() -> None:
    built = peru_weekly_panel(level="province")
    assert built.panel["region"].str.contains("/").all()
    assert built.panel["cases"].sum() == 171_282 - 57


def test_district_level_panel_is_complete_and_mostly_zero() -> None:
    built = peru_weekly_panel(level="district")
    panel = built.panel
    assert panel["region"].str.count("/").eq(2).all()
    assert panel["region"].nunique() == 541  # every district with a notified case
    assert panel["cases"].sum() == 171_282 - 57
    weeks = panel.groupby("region")["week_start"].agg(["min", "max", "size"])
    assert weeks["size"].nunique() == 1  # one complete grid: no case in a week is zero
    assert (panel["cases"] == 0).mean() > 0.75  # sparse: most district-weeks have no case
    assert built.dropped == {"unknown departamento (\\N)": 57}
