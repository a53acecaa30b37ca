"""Validation of tabular input: column typing, identifiers, positive labels, the risk table."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from risk_helpers import readmission_csv_frame

from vigia.errors import DataContractError
from vigia.risk.ingest import ingest_risk, read_table, write_table
from vigia.risk.task import GROUP, TARGET, RiskTask
from vigia.risk.validate import default_slice_cols, prepare_table, read_table_csv


def _csv(tmp_path: Path, frame: pd.DataFrame) -> Path:
    path = tmp_path / "visits.csv"
    frame.to_csv(path, index=False)
    return path


def test_csv_columns_are_typed_and_identifiers_never_become_features(tmp_path: Path) -> None:
    frame = readmission_csv_frame(600).assign(encounter_id=np.arange(600) * 7 + 11)
    frame["admission_type_id"] = frame["admission_type_id"].astype(str)
    raw = read_table_csv(_csv(tmp_path, frame))
    task = RiskTask(
        target="readmitted",
        positive=["<30"],
        group_col="patient_nbr",
        categorical=["admission_type_id"],
        slice_cols=["gender"],
    )
    prepared = prepare_table(raw, task, "visits.csv")
    kinds = {f.name: f.kind for f in prepared.task.features}
    assert kinds["time_in_hospital"] == "numeric"
    assert kinds["number_inpatient"] == "numeric"  # a count, not an identifier
    assert kinds["admission_type_id"] == "categorical"  # a code, as asked
    assert kinds["gender"] == "categorical"
    assert "patient_nbr" not in kinds and "encounter_id" not in kinds
    removed = prepared.report["removed_columns"]
    assert removed["encounter_id"].startswith("identifier")
    assert "splitting only" in removed["patient_nbr"]
    table = prepared.table
    assert set(table[TARGET].unique()) == {0, 1}
    assert table[TARGET].sum() == (frame["readmitted"] == "<30").sum()
    # the group column leaves validation as a surrogate code, never as the identifier
    assert "patient_nbr" not in table.columns
    assert not set(table[GROUP]) & set(frame["patient_nbr"].astype(int))
    assert table[GROUP].nunique() == frame["patient_nbr"].nunique()


def test_positive_label_is_inferred_for_two_valued_targets() -> None:
    rng = np.random.default_rng(0)
    base = pd.DataFrame({"x": rng.normal(size=300), "site": rng.choice(["a", "b"], 300)})
    yes = prepare_table(base.assign(y=rng.choice(["yes", "no"], 300)), RiskTask(target="y"))
    assert yes.task.positive == ["yes"]
    ones = prepare_table(base.assign(y=(rng.random(300) < 0.7).astype(int)), RiskTask(target="y"))
    assert ones.task.positive == ["1"]
    labels = np.where(rng.random(300) < 0.2, "died", "alive")
    minority = prepare_table(base.assign(y=labels), RiskTask(target="y"))
    assert minority.task.positive == ["died"]


def test_several_positive_values_and_missing_targets() -> None:
    rng = np.random.default_rng(1)
    target = rng.choice(["mild", "alarm", "severe", None], 400, p=[0.6, 0.25, 0.1, 0.05])
    frame = pd.DataFrame({"age": rng.integers(1, 90, 400), "y": target})
    prepared = prepare_table(frame, RiskTask(target="y", positive=["alarm", "severe"]))
    assert prepared.report["dropped_rows"] == {"missing target 'y'": int(pd.isna(target).sum())}
    assert prepared.table[TARGET].sum() == np.isin(target, ["alarm", "severe"]).sum()


def test_risk_table_round_trips_through_parquet(tmp_path: Path) -> None:
    path = _csv(tmp_path, readmission_csv_frame(500))
    task = RiskTask(target="readmitted", positive=["<30"], group_col="patient_nbr")
    prepared, card = ingest_risk(str(path), task)
    assert card["rows_out"] == 500 and len(card["content_hash"]) == 64
    assert card["source"] == "visits.csv"
    assert prepared.task.slice_cols == ["gender", "age"]  # found by name
    write_table(prepared.table, tmp_path / "t.parquet")
    back = read_table(tmp_path / "t.parquet")
    pd.testing.assert_frame_equal(back, prepared.table, check_dtype=False)
    race = back["race"]
    assert race.isna().sum() == prepared.table["race"].isna().sum()
    assert all(isinstance(v, str) or v is np.nan or pd.isna(v) for v in race)


def test_default_slices_are_found_by_name() -> None:
    assert default_slice_cols(["Sexo", "edad", "departamento", "x"]) == [
        "Sexo",
        "edad",
        "departamento",
    ]
    assert default_slice_cols(["gender", "age_group", "state"]) == ["gender", "age_group", "state"]
    assert default_slice_cols(["x", "y"]) == []


def test_reserved_column_names_are_refused() -> None:
    frame = pd.DataFrame({"__target__": [1, 0] * 60, "y": [1, 0] * 60})
    with pytest.raises(DataContractError, match="reserved"):
        prepare_table(frame, RiskTask(target="y"))
