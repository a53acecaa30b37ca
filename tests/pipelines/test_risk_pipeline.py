"""The risk pipeline under kfp.local on a real slice of the readmission data, the model it pushed
served by a real server process, the CLI on an arbitrary CSV with patient identifiers, and the
compiled YAML.

Patient identifiers never leave ingest (issue 15, defect 5): the CLI's CSV carries identifier
columns in Spanish and English, in the shapes real exports use, and none of their values (nor the
columns as features) reaches the bundle or the MLflow artifacts; a request id and a stray field
that hold identifiers reach neither the served model nor its payload log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml

from vigia.data.readmission import load_readmission_raw
from vigia.images import image_ref
from vigia.pipelines.compile import compile_all
from vigia.pipelines.local import run_pipeline_locally
from vigia.pipelines.risk import create_risk_pipeline, read_risk_outcome, risk_arguments
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.risk.ingest import read_table
from vigia.risk.model import RiskModel
from vigia.serving.process import free_ports
from vigia.workspace import Workspace

NAME = "readmission-risk"
# Real checks, with bars a 3,000-row sample clears (full-data numbers: benchmarks/risk).
LOOSE_GATE = "[risk]\nmin_roc_auc = 0.55\nmin_brier_skill = -0.05\nmax_ece = 0.1\n"
SLICE = {
    "sample_rows": 3000,
    "families": "logistic_regression,xgboost",
    "n_iter": 1,
    "folds": 2,
    "jobs": 1,
}


IDENTIFIERS = (
    "cedula", "nombre", "telefono", "direccion", "fecha_nacimiento", "mrn", "id_paciente",
    "national_id", "codigo_paciente", "historia_clinica", "nro_documento", "email", "patient_nbr",
)  # fmt: skip


def with_identifiers(table: pd.DataFrame, seed: int = 7) -> pd.DataFrame:
    """The table with made-up identifier columns: 50 patients, so record numbers repeat."""
    rng = np.random.default_rng(seed)
    rows = len(table)
    table = table.copy()
    patients = rng.integers(0, 50, rows)
    table["cedula"] = [f"09{n:08d}" for n in rng.integers(0, 10**8, rows)]
    table["nombre"] = [f"Paciente {n} Pérez" for n in rng.integers(0, 10**6, rows)]
    table["telefono"] = [f"+51 9{n:08d}" for n in rng.integers(0, 10**8, rows)]
    table["direccion"] = [f"Av. Grau {n}" for n in rng.integers(1, 3000, rows)]
    table["fecha_nacimiento"] = [f"19{n % 90 + 10:02d}-0{n % 9 + 1}-1{n % 9}" for n in patients]
    table["mrn"] = [f"MRN{n:05d}" for n in patients]
    table["id_paciente"] = patients
    table["national_id"] = [f"X{n:07d}" for n in rng.integers(0, 10**7, rows)]
    table["codigo_paciente"] = [f"P-{n:04d}" for n in patients]
    table["historia_clinica"] = [f"HC-{1100 + n}" for n in patients]
    table["nro_documento"] = rng.integers(10**7, 10**8, rows)
    table["email"] = [f"p{n}@correo.pe" for n in patients]
    table["patient_nbr"] = patients + 8_000_000
    return table


def identifier_values(table: pd.DataFrame) -> set[str]:
    """Identifier values long enough to be found verbatim (not digits that occur by chance)."""
    found = set()
    for column in IDENTIFIERS:
        for value in table[column].astype(str).unique():
            if len(value) >= 6 or not value.isdigit():
                found.add(value)
    return found


def leaked_in(folder: Path, secrets: set[str]) -> list[str]:
    """Files under the folder holding a secret, except the copies of Vigía's own source that
    MLflow logs beside each model (``code/``)."""
    hits = []
    for path in folder.rglob("*"):
        if path.is_file() and "code" not in path.relative_to(folder).parts:
            text = path.read_bytes().decode("utf-8", errors="replace")
            hits += [f"{path.name}: {v}" for v in secrets if v in text]
    return hits


def _test_rows(outcome: dict) -> pd.DataFrame:
    """The test table the pipeline's split step wrote."""
    return read_table(Path(outcome["run"]) / "risk-split" / "dataset_test")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    ws = Workspace(tmp_path_factory.mktemp("risk") / "ws").ensure()
    pipeline = create_risk_pipeline(image_ref("project", "local"))
    arguments = risk_arguments(ws, LOOSE_GATE, registered_name=NAME, source="readmission", **SLICE)
    local = run_pipeline_locally(pipeline, arguments, ws, quiet=True)
    return {"ws": ws, "outcome": read_risk_outcome(local), "local": local}


@pytest.mark.slow
def test_pipeline_validates_splits_trains_gates_registers_and_pushes(run: dict) -> None:
    ws, outcome = run["ws"], run["outcome"]
    metrics = outcome["metrics"]
    assert {
        "roc_auc",
        "pr_auc",
        "brier",
        "f1",
        "ece",
        "log_loss",
        "accuracy",
        "precision",
        "recall",
        "confusion_matrix",
        "calibration_curve",
    } <= set(metrics["test"])
    assert set(metrics["slices"]) == {"gender", "age", "race"}
    assert set(metrics["baselines"]) == {"prior", "logistic_regression"}
    assert metrics["test"]["roc_auc"] > metrics["baselines"]["prior"]["roc_auc"]
    assert outcome["decision"]["approved"] and outcome["pushed"] and outcome["version"] == 1
    store = ModelStore(ws.models)
    assert store.current(NAME) == 1
    manifest = json.loads((store.current_dir(NAME) / "vigia-model.json").read_text())
    assert manifest["kind"] == "classifier" and manifest["decision"]["approved"]
    assert Registry(ws.tracking_uri).champion(NAME).version == 1
    split = json.loads(outcome["files"]["split"].read_text())
    assert split["rule"] == "group" and split["groups_in_both"] == 0
    eda = outcome["files"]["eda"].read_text()
    assert "Leakage suspects" in eda and "Missingness" in eda and "<script" not in eda
    assert not list(ws.root.glob("kfp-*")), "temporary kfp folders must be cleaned up"


@pytest.mark.slow
def test_patient_identifiers_stay_inside_the_ingest_step(run: dict) -> None:
    outcome, local = run["outcome"], run["local"]
    table = _test_rows(outcome)
    assert "patient_nbr" not in table.columns and "encounter_id" not in table.columns
    raw = load_readmission_raw()
    some_ids = {str(v) for v in raw["patient_nbr"].sample(2000, random_state=0)}
    log = local.log.read_text(encoding="utf-8", errors="replace")
    assert not any(f" {i} " in log or f"'{i}'" in log for i in some_ids)
    bundle = outcome["files"]["model"]
    assert not (set(json.loads((bundle / "vigia-model.json").read_text())) & {"patient_nbr"})


@pytest.mark.slow
def test_registered_version_loads_as_an_mlflow_pyfunc(run: dict) -> None:
    import mlflow.pyfunc

    ws, outcome = run["ws"], run["outcome"]
    mlflow.set_tracking_uri(ws.tracking_uri)
    mlflow.set_registry_uri(ws.tracking_uri)  # an earlier test may have pointed it elsewhere
    model = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    test = _test_rows(outcome)
    expected = RiskModel.load(outcome["files"]["model"]).predict_proba(test.head(10))
    got = model.predict(test.head(10))
    np.testing.assert_allclose(got["probability"].to_numpy(), expected)


@pytest.fixture(scope="module")
def server(run: dict) -> Iterator[str]:
    ws = run["ws"]
    port, grpc = free_ports(2)
    log = ws.logs / "risk-server.log"
    vigia = str(Path(sys.executable).with_name("vigia"))
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            [
                vigia,
                "--workspace",
                str(ws.root),
                "serve",
                "--model",
                NAME,
                "--http-port",
                str(port),
                "--grpc-port",
                str(grpc),
            ],
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, log.read_text()
            try:
                if httpx.get(url + "/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
            assert time.monotonic() < deadline, log.read_text()
        yield url
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _instance(run: dict) -> dict:
    test = _test_rows(run["outcome"])
    model = RiskModel.load(run["outcome"]["files"]["model"])
    row = test.iloc[0]
    return {
        f.name: (
            None
            if pd.isna(row[f.name])
            else (float(row[f.name]) if f.kind == "numeric" else str(row[f.name]))
        )
        for f in model.features
    }


@pytest.mark.slow
def test_risk_endpoint_scores_and_rejects_bad_rows_naming_the_field(run: dict, server: str) -> None:
    instance = _instance(run)
    ok = httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": [instance]})
    assert ok.status_code == 200, ok.text
    prediction = ok.json()["predictions"][0]
    expected = RiskModel.load(run["outcome"]["files"]["model"]).predict_proba(
        pd.DataFrame([instance])
    )[0]
    assert prediction["probability"] == pytest.approx(expected)
    assert isinstance(prediction["flag"], bool)

    missing = {k: v for k, v in instance.items() if k != "num_medications"}
    bad = httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": [missing]})
    assert bad.status_code == 400 and "num_medications" in bad.json()["error"]

    wrong = {**instance, "time_in_hospital": "three days"}
    bad = httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": [wrong]})
    assert bad.status_code == 400 and "time_in_hospital" in bad.json()["error"]
    assert "must be a number" in bad.json()["error"]

    v2 = {"inputs": [{"name": "gender", "datatype": "FP64", "shape": [1], "data": [1.0]}]}
    bad = httpx.post(f"{server}/v2/models/{NAME}/infer", json=v2)
    assert 400 <= bad.status_code < 500 and "gender" in bad.json()["error"]

    log_dir = run["ws"].payload_logs / NAME
    deadline = time.monotonic() + 10
    while not list(log_dir.glob("*.jsonl")) and time.monotonic() < deadline:
        time.sleep(0.2)
    records = [json.loads(line) for f in log_dir.glob("*.jsonl") for line in f.open()]
    assert records and records[0]["kind"] == "classifier"
    assert set(records[0]["inputs"][0]) <= set(instance)


@pytest.mark.slow
def test_the_pipeline_model_gets_a_risk_page_and_a_training_snapshot(
    run: dict, server: str
) -> None:
    """Any classifier the pipeline pushes has a page (default labels where none are configured)
    and a training snapshot for monitoring."""
    form = httpx.get(f"{server}/risk/{NAME}/form").json()
    model = RiskModel.load(run["outcome"]["files"]["model"])
    assert [f["name"] for f in form["fields"]][:2] == ["age", "gender"]
    assert {f["name"] for f in form["fields"]} == set(model.feature_names)
    instance = _instance(run)
    values = {k: "" if v is None else str(v) for k, v in instance.items()}
    reply = httpx.post(f"{server}/risk/{NAME}/assess", json={"values": values, "lang": "en"})
    assert reply.status_code == 200, reply.text
    body = reply.json()
    expected = model.predict_proba(pd.DataFrame([instance]))[0]
    assert body["probability"] == pytest.approx(expected, abs=1e-9)
    assert body["tier"]["name"]["en"] in ("Usual follow-up", "Reinforced follow-up")
    assert 1 <= len(body["factors"]["en"]) <= 3
    registry = Registry(run["ws"].tracking_uri)
    run_id = registry.version(NAME, run["outcome"]["version"]).run_id
    listed = [a.path for a in registry.client.list_artifacts(run_id, "reference")]
    assert listed == ["reference/snapshot.parquet"]


@pytest.mark.slow
def test_payload_log_keeps_identifiers_out(run: dict, server: str) -> None:
    """A request id that is a record number and a name, and an identifier sent as a field."""
    log_dir = run["ws"].payload_logs / NAME

    def logged() -> str:
        return "".join(p.read_text() for p in log_dir.glob("*.jsonl"))

    before = logged().count("\n")
    instance = _instance(run)
    reply = httpx.post(
        f"{server}/v1/models/{NAME}:predict",
        json={"instances": [instance]},
        headers={"x-request-id": "HC-1118 Ana Perez"},
    )
    assert reply.status_code == 200, reply.text
    sneaky = {**instance, "historia_clinica": "HC-1118"}
    refused = httpx.post(f"{server}/v1/models/{NAME}:predict", json={"instances": [sneaky]})
    assert refused.status_code == 400 and "historia_clinica" in refused.json()["error"]
    deadline = time.monotonic() + 10
    while logged().count("\n") == before and time.monotonic() < deadline:
        time.sleep(0.2)  # the accepted request's record is written after the reply
    text = logged()
    assert text.count("\n") > before, "the accepted request was not logged"
    assert "HC-1118" not in text and "Ana" not in text


@pytest.mark.slow
def test_cli_on_an_identified_csv_refuses_with_a_strict_gate(
    cli, run: dict, tmp_path: Path
) -> None:
    """An arbitrary CSV through `vigia risk train`: the gate refuses, nothing is pushed, and the
    identifier columns reach neither the bundle nor MLflow."""
    rng = np.random.default_rng(0)
    n = 1500
    age = rng.integers(18, 90, n)
    frame = pd.DataFrame(
        {
            "visit_day": pd.date_range("2020-01-01", periods=n, freq="D").strftime("%Y-%m-%d"),
            "age": age,
            "sex": rng.choice(["F", "M"], n),
            "smoker": rng.choice(["yes", "no", ""], n),
            "bmi": np.round(rng.normal(27, 4, n), 1),
        }
    )
    logit = -3 + 0.04 * (age - 50) + 0.8 * (frame["smoker"] == "yes")
    frame["event"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    frame = with_identifiers(frame)
    data = tmp_path / "cohort.csv"
    frame.to_csv(data, index=False)
    strict = tmp_path / "gates.toml"
    strict.write_text("[risk]\nmin_roc_auc = 0.99\n")
    out = tmp_path / "out"
    result = cli(
        ["--workspace", str(run["ws"].root), "risk", "train", "--data", str(data),
         "--target", "event", "--time-col", "visit_day", "--families", "logistic_regression",
         "--n-iter", "1", "--folds", "2", "--jobs", "1", "--gates", str(strict),
         "--out", str(out)]
    )  # fmt: skip
    assert result.code == 3, result.stderr  # the run finished; the gate refused the candidate
    assert "NOT APPROVED" in result.stdout and "pushed: no" in result.stdout
    assert "vigia: error: the gate refused version" in result.stderr
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"roc_auc", "pr_auc", "brier", "f1"} <= set(metrics["test"])
    assert set(metrics["slices"]) == {"sex", "age"}
    assert metrics["test"]["roc_auc"] > 0.6
    assert (out / "eda.html").exists() and (out / "model" / "vigia-model.json").exists()
    assert ModelStore(run["ws"].models).current("cohort-risk") is None
    assert Registry(run["ws"].tracking_uri).versions("cohort-risk")[0].approved is False

    manifest = json.loads((out / "model" / "vigia-model.json").read_text())
    features = {f["name"] for f in manifest["features"]}
    assert features == {"age", "sex", "smoker", "bmi"}, features
    secrets = identifier_values(frame)
    assert leaked_in(out / "model", secrets) == []
    assert leaked_in(run["ws"].artifacts, secrets) == []  # MLflow: reference table, EDA, model …
    assert any(v in data.read_text(encoding="utf-8") for v in secrets)  # what the scan looks for


def test_compiled_risk_pipeline_structure(tmp_path: Path) -> None:
    path = next(p for p in compile_all(tmp_path) if p.name == "risk.yaml")
    spec, *_ = yaml.safe_load_all(path.read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {
        "risk-ingest",
        "risk-eda",
        "risk-split",
        "risk-train",
        "risk-evaluate",
        "risk-register",
        "condition-1",
    }
    assert (
        "pipelinechannel--risk-evaluate-Output"
        in tasks["condition-1"]["triggerPolicy"]["condition"]
    )
    assert set(spec["components"]["comp-condition-1"]["dag"]["tasks"]) == {"push", "promote"}
    for executor in spec["deploymentSpec"]["executors"].values():
        assert executor["container"]["image"] == image_ref("project", "cluster")
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert {"tracking_uri", "store_root", "gate_config", "registered_name"} <= set(inputs)
