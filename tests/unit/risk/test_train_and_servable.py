"""Training on a real slice (select, calibrate, export) and the classifier servable that serves
the bundle: predictions, contributions and 4xx errors that name the field."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from risk_helpers import readmission_rows

from vigia.models.bundle import read_manifest
from vigia.risk.bundle import load_classifier_bundle
from vigia.risk.ingest import sample_table
from vigia.risk.servable import ClassifierServable
from vigia.risk.split import split_table
from vigia.risk.task import RiskTask
from vigia.risk.validate import prepare_table
from vigia.risk.workflow import train_step
from vigia.servables.base import Tensor
from vigia.servables.errors import InvalidRequest
from vigia.servables.kinds import load_servable


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """XGBoost chosen by a small search on ~3,000 real encounters, calibrated and exported."""
    task = RiskTask(
        target="readmitted",
        positive=["<30"],
        group_col="patient_nbr",
        categorical=["admission_type_id", "discharge_disposition_id", "admission_source_id"],
    )
    prepared = prepare_table(readmission_rows(), task, "readmission")
    table = sample_table(prepared.table, 3000, seed=1)
    train, test, _ = split_table(table, prepared.task)
    bundle = tmp_path_factory.mktemp("bundle") / "model"
    model, report = train_step(
        train, prepared.task, bundle, "hash", families=["xgboost"], n_iter=1, folds=2, jobs=1
    )
    return {"model": model, "report": report, "bundle": bundle, "test": test, "task": prepared.task}


def test_training_selects_calibrates_and_exports(trained: dict) -> None:
    model, report, test = trained["model"], trained["report"], trained["test"]
    assert report["chosen"]["family"] == "xgboost" and len(report["candidates"]) == 1
    assert report["calibration"] in ("isotonic", "sigmoid")
    p = model.predict_proba(test)
    assert p.shape == (len(test),) and ((p >= 0) & (p <= 1)).all()
    assert 0 < model.threshold < 1
    loaded, manifest = load_classifier_bundle(trained["bundle"])
    np.testing.assert_allclose(loaded.predict_proba(test), p)
    assert manifest["kind"] == "classifier" and manifest["method"] == "xgboost"
    names = [f["name"] for f in manifest["features"]]
    assert "patient_nbr" not in names and "encounter_id" not in names
    text = (trained["bundle"] / "vigia-model.json").read_text()
    assert "__group__" not in text


def test_contributions_add_up_to_the_raw_log_odds(trained: dict) -> None:
    model, rows = trained["model"], trained["test"].head(20)
    contributions = model.contributions(rows)
    assert contributions.shape == (20, len(model.features) + 1)
    raw = model.raw_proba(rows)
    np.testing.assert_allclose(contributions.sum(axis=1), np.log(raw / (1 - raw)), atol=1e-4)


def _instances(rows: pd.DataFrame, features: list) -> list[dict]:
    out = []
    for record in rows.to_dict(orient="records"):
        out.append(
            {f.name: (None if pd.isna(record[f.name]) else record[f.name]) for f in features}
        )
    return out


def test_servable_predicts_what_the_model_predicts(trained: dict) -> None:
    servable = load_servable(trained["bundle"])
    assert isinstance(servable, ClassifierServable)
    rows = trained["test"].head(5)
    body = {"instances": _instances(rows, servable.features)}
    batch = servable.parse_v1(body)
    result = servable.predict(batch)
    predictions = servable.v1_predictions(batch, result)
    np.testing.assert_allclose(
        [p["probability"] for p in predictions], trained["model"].predict_proba(rows)
    )
    assert all(len(p["contributions"]) == 5 for p in predictions)
    outputs = {t.name: t for t in servable.v2_outputs(batch, result)}
    assert outputs["contributions"].shape == [5, len(servable.features) + 1]
    inputs, logged = servable.payload_rows(batch, result)
    assert set(inputs[0]) == {f.name for f in servable.features}
    assert set(logged[0]) == {"probability", "flag"}
    json.dumps(inputs)  # the payload log can write it


@pytest.mark.parametrize(
    ("change", "kind", "words"),
    [
        (
            lambda r: r.pop("num_medications"),
            "missing_field",
            "instances[0].num_medications is missing",
        ),
        (
            lambda r: r.update(num_medications="12"),
            "wrong_type",
            "instances[0].num_medications must be a number",
        ),
        (lambda r: r.update(num_medications=True), "wrong_type", "must be a number, got a boolean"),
        (lambda r: r.update(gender=["Male"]), "wrong_type", "instances[0].gender must be a string"),
        (lambda r: r.update(gender=None), "missing_field", "instances[0].gender is null"),
        (lambda r: r.update(patient_nbr=123), "unknown_field", "unknown field(s) 'patient_nbr'"),
    ],
    ids=[
        "missing",
        "string-for-number",
        "bool-for-number",
        "list-for-category",
        "null",
        "identifier",
    ],
)
def test_bad_rows_name_the_field(trained: dict, change, kind: str, words: str) -> None:
    servable = load_servable(trained["bundle"])
    row = _instances(trained["test"].head(1), servable.features)[0]
    change(row)
    with pytest.raises(InvalidRequest) as err:
        servable.parse_v1({"instances": [row]})
    assert err.value.kind == kind and err.value.status == 400
    assert words in str(err.value)


def test_v2_tensors_are_checked_against_the_schema(trained: dict) -> None:
    servable = load_servable(trained["bundle"])
    rows = trained["test"].head(3)
    tensors = []
    for f in servable.features:
        values = rows[f.name]
        if f.kind == "numeric":
            tensors.append(Tensor(f.name, "FP64", [3], values.fillna(0).to_numpy("float64")))
        else:
            data = np.array(values.fillna("?").astype(str).to_numpy(), dtype=object)
            tensors.append(Tensor(f.name, "BYTES", [3], data))
    batch = servable.parse_v2(servable.check_v2(tensors))
    assert len(batch) == 3
    wrong = [
        Tensor(t.name, "INT64", t.shape, t.data) if t.name == "num_medications" else t
        for t in tensors
    ]
    with pytest.raises(InvalidRequest, match="'num_medications' has datatype INT64"):
        servable.check_v2(wrong)
    with pytest.raises(InvalidRequest, match=r"input 'gender'.* is required"):
        servable.check_v2([t for t in tensors if t.name != "gender"])


def test_a_bundle_the_gate_refused_is_not_served(trained: dict, tmp_path: Path) -> None:
    import shutil

    from vigia.errors import GateRefusedError

    refused = tmp_path / "refused"
    shutil.copytree(trained["bundle"], refused)
    manifest = read_manifest(refused)
    manifest["decision"] = {"approved": False, "reasons": ["FAIL test ROC-AUC 0.55 < 0.6"]}
    (refused / "vigia-model.json").write_text(json.dumps(manifest))
    with pytest.raises(GateRefusedError, match="ROC-AUC"):
        load_servable(refused)
