"""Patient identifiers never leave ingest (issue 15, defect 5): ``vigia risk train --data`` on a
table with identifier columns in Spanish and English, then the pushed model served by a real
server with a client request id that is a record number. None of the identifier values (nor
the columns as features) reaches the bundle, the MLflow artifacts or the payload log.

The table is a real slice of the readmission data (1,500 encounters); the identifier columns
are made up in the shapes real exports use."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from vigia.data.readmission import readmission_table
from vigia.registry.store import ModelStore
from vigia.serving.process import free_ports
from vigia.workspace import Workspace

NAME = "privacy-risk"
LOOSE_GATE = "[risk]\nmin_roc_auc = 0.5\nmin_brier_skill = -0.5\nmax_ece = 0.5\n"
IDENTIFIERS = (
    "cedula", "nombre", "telefono", "direccion", "fecha_nacimiento", "mrn", "id_paciente",
    "national_id", "codigo_paciente", "historia_clinica", "nro_documento", "email", "patient_nbr",
)  # fmt: skip


def identified_table(rows: int = 1500) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    columns = ["gender", "age", "race", "time_in_hospital", "num_medications",
               "number_inpatient", "admission_type_id", "readmitted"]  # fmt: skip
    table = readmission_table()[0].sample(rows, random_state=0)[columns].reset_index(drop=True)
    table["reingreso_30d"] = np.where(table.pop("readmitted") == "<30", "si", "no")
    patients = rng.integers(0, 50, rows)  # 50 patients: record numbers repeat (a code set?)
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


def _values(table: pd.DataFrame) -> set[str]:
    """Identifier values long enough to be found verbatim (not digits that occur by chance)."""
    found = set()
    for column in IDENTIFIERS:
        for value in table[column].astype(str).unique():
            if len(value) >= 6 or not value.isdigit():
                found.add(value)
    return found


@pytest.mark.slow
def test_identifiers_reach_neither_bundle_nor_mlflow_nor_payload_log(cli, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    table = identified_table()
    data = tmp_path / "pacientes.csv"
    table.to_csv(data, index=False)
    gates = tmp_path / "gates.toml"
    gates.write_text(LOOSE_GATE)
    result = cli(
        ["--workspace", str(ws.root), "risk", "train", "--data", str(data), "--target",
         "reingreso_30d", "--positive", "si", "--families", "logistic_regression",
         "--n-iter", "1", "--folds", "2", "--jobs", "1", "--gates", str(gates), "--name", NAME,
         "--out", str(tmp_path / "out")]
    )  # fmt: skip
    assert result.code == 0, result.stderr
    bundle = ModelStore(ws.models).current_dir(NAME)
    manifest = json.loads((bundle / "vigia-model.json").read_text())
    features = {f["name"] for f in manifest["features"]}
    assert not features & set(IDENTIFIERS), features
    secrets = _values(table)

    def leaked_in(folder: Path) -> list[str]:
        hits = []
        for path in folder.rglob("*"):
            if path.is_file():
                text = path.read_bytes().decode("utf-8", errors="replace")
                hits += [f"{path.name}: {v}" for v in secrets if v in text]
        return hits

    assert leaked_in(bundle) == []
    assert leaked_in(ws.artifacts) == []  # MLflow artifacts (reference table, EDA, model …)

    http, grpc = free_ports(2)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vigia.serving", "--model-dir", str(ws.models),
             "--model-name", NAME, "--http_port", str(http), "--grpc_port", str(grpc),
             "--payload-log", str(ws.payload_logs)], stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{http}/v2/health/ready").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        row = {f["name"]: _feature_value(table, f) for f in manifest["features"]}
        reply = httpx.post(f"http://127.0.0.1:{http}/v1/models/{NAME}:predict",
                           json={"instances": [row]},
                           headers={"x-request-id": "HC-1118 Ana Perez"})  # fmt: skip
        assert reply.status_code == 200, reply.text
        sneaky = {**row, "historia_clinica": "HC-1118"}
        refused = httpx.post(f"http://127.0.0.1:{http}/v1/models/{NAME}:predict",
                             json={"instances": [sneaky]})  # fmt: skip
        assert refused.status_code == 400  # not a feature: refused, never logged
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    logged = "".join(p.read_text() for p in (ws.payload_logs / NAME).glob("*.jsonl"))
    assert logged and "HC-1118" not in logged and "Ana" not in logged
    assert leaked_in(ws.payload_logs) == []


def _feature_value(table: pd.DataFrame, feature: dict) -> object:
    value = table[feature["name"]].dropna().iloc[0]
    return float(value) if feature["kind"] == "numeric" else str(value)
