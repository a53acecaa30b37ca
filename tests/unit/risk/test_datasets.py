"""The built-in datasets: the shipped readmission file is the published one, and the severity
features are computed from earlier weeks only (no leakage from a case's own label or later
cases)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vigia.data.peru import load_peru_line_list
from vigia.data.readmission import EXPIRED_OR_HOSPICE, load_readmission_raw, readmission_table
from vigia.data.severity import POSITIVE, severity_table
from vigia.risk.datasets import DATASETS


def test_shipped_readmission_file_is_the_published_one() -> None:
    raw = load_readmission_raw(verify=True)  # SHA-256 of the decompressed CSV
    assert raw.shape == (101_766, 50)
    assert raw["encounter_id"].nunique() == 101_766 and raw["patient_nbr"].nunique() == 71_518
    assert raw["readmitted"].value_counts().to_dict() == {
        "NO": 54_864,
        ">30": 35_545,
        "<30": 11_357,
    }


def test_readmission_table_drops_death_and_hospice_and_identifiers() -> None:
    table, dropped = readmission_table()
    raw = load_readmission_raw()
    ended = pd.to_numeric(raw["discharge_disposition_id"]).isin(EXPIRED_OR_HOSPICE).sum()
    assert dropped == {"encounter ended in death or hospice": int(ended)}
    assert len(table) == len(raw) - ended
    assert "encounter_id" not in table.columns
    assert not pd.to_numeric(table["discharge_disposition_id"]).isin(EXPIRED_OR_HOSPICE).any()
    assert set(table["diag_1_group"].dropna()) <= {
        "circulatory",
        "respiratory",
        "digestive",
        "diabetes",
        "injury",
        "musculoskeletal",
        "genitourinary",
        "neoplasms",
        "other",
    }
    row = table.iloc[0]
    assert row["prior_visits"] == (
        row["number_outpatient"] + row["number_emergency"] + row["number_inpatient"]
    )
    task = DATASETS["readmission"].task()
    assert task.group_col == "patient_nbr" and task.positive == ["<30"]


@pytest.fixture(scope="module")
def line_list() -> pd.DataFrame:
    raw = load_peru_line_list()
    return raw[raw["departamento"].isin(["TUMBES", "PIURA"])].reset_index(drop=True)


CONTEXT = [
    "cases_prev1_district",
    "cases_prev4_province",
    "severe_share8_district",
    "severe_share52_province",
    "severe_share8_department",
]


def test_severity_features_use_earlier_weeks_only(line_list: pd.DataFrame) -> None:
    base, _ = severity_table(line_list)
    week = pd.Timestamp("2021-03-07")
    in_week = (base["week_start"] == week).to_numpy()
    assert in_week.sum() > 20
    changed = line_list.copy()
    # every case of that week becomes severe, and the week gets 50 extra cases
    changed.loc[in_week, "enfermedad"] = "DENGUE GRAVE"
    extra = changed[in_week].head(1)
    changed = pd.concat([changed, pd.concat([extra] * 50)], ignore_index=True)
    after, _ = severity_table(changed)
    after = after.iloc[: len(base)]
    not_later = (base["week_start"] <= week).to_numpy()
    pd.testing.assert_frame_equal(base.loc[not_later, CONTEXT], after.loc[not_later, CONTEXT])
    next_week = (base["week_start"] == week + pd.Timedelta(days=7)).to_numpy()
    assert (
        after.loc[next_week, "severe_share8_department"]
        > base.loc[next_week, "severe_share8_department"]
    ).all()
    same_department = next_week & (base["departamento"] == extra["departamento"].iloc[0]).to_numpy()
    assert same_department.any()
    assert (
        after.loc[same_department, "cases_prev1_department"]
        == base.loc[same_department, "cases_prev1_department"] + 50
    ).all()


def test_severity_table_columns_and_target(line_list: pd.DataFrame) -> None:
    table, _ = severity_table(line_list)
    assert len(table) == len(line_list)
    assert table["enfermedad"].isin(POSITIVE).mean() == pytest.approx(
        line_list["enfermedad"].isin(POSITIVE).mean()
    )
    assert table["distrito"].str.count("/").eq(2).all()
    shares = table[[c for c in table.columns if c.startswith("severe_share")]]
    assert ((shares.dropna() >= 0) & (shares.dropna() <= 1)).all().all()
    assert set(table["grupo_edad"].dropna()) <= {"0-11", "12-17", "18-29", "30-59", "60+"}
    assert np.nanmax(table["edad"]) <= 110
    task = DATASETS["dengue-severity"].task()
    assert task.time_col == "week_start" and task.test_from == "2022-01-02"
    assert "grupo_edad" in task.exclude_cols
