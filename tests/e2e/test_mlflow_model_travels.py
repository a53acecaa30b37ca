"""The registered MLflow model travels: in a fresh virtual environment holding only what the
model's ``requirements.txt`` names plus MLflow (``uv venv`` + ``uv pip install``, offline from the
local package cache when it has everything) — no Vigía installed — ``models:/dengue-forecast@
champion`` loads and predicts the same numbers as here, and ``mlflow models serve --env-manager
local`` run from that environment answers a real HTTP request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest

from vigia.registry.lifecycle import registry_for
from vigia.serving.process import free_ports
from vigia.training import candidate_metrics, evaluate_candidate, push_approved, train_forecaster
from vigia.workspace import Workspace

pytestmark = pytest.mark.slow
NAME = "dengue-forecast"
URI = f"models:/{NAME}@champion"

LOAD = """
import importlib.util, json, sys
import mlflow, pandas as pd
assert importlib.util.find_spec("vigia") is None, "vigia is installed in the fresh venv"
model = mlflow.pyfunc.load_model(sys.argv[1])
example = pd.read_json(sys.argv[2], orient="split", convert_dates=["week_start"],
                       dtype={"cases": "float64"})
answer = model.predict(example)
print(json.dumps({"rows": len(answer), "columns": list(answer.columns),
                  "sum": float(answer["value"].sum()),
                  "signature": model.metadata.signature is not None}))
"""


def uv() -> str:
    found = shutil.which("uv") or str(Path(sys.executable).with_name("uv"))
    assert Path(found).exists(), "uv is missing (make install puts it in .venv)"
    return found


def fresh_venv(folder: Path, requirements: Path) -> Path:
    """A venv with the model's requirements + MLflow only; its python."""
    subprocess.run([uv(), "venv", "--quiet", "--python", sys.executable, str(folder)],
                   check=True, timeout=120)  # fmt: skip
    python = folder / "bin" / "python"
    install = [uv(), "pip", "install", "--quiet", "--python", str(python), "-r",
               str(requirements), f"mlflow=={mlflow.__version__}"]  # fmt: skip
    offline = subprocess.run([*install, "--offline"], capture_output=True, text=True, timeout=900)
    if offline.returncode != 0:  # the cache lacks something: ask the package index
        subprocess.run(install, check=True, timeout=900)
    return python


def test_champion_loads_and_serves_without_vigia(
    workspace: Workspace, small_panel: pd.DataFrame, tmp_path: Path
) -> None:
    bundle = workspace.root / "bundle"
    train_forecaster(small_panel, "xgboost", 0, bundle, {"data_hash": "test"})
    scores, decision = evaluate_candidate(small_panel, "xgboost", 0, {"max_relative_wis": 5.0},
                                          None, years=0.25)  # fmt: skip
    info = registry_for(workspace).log_training_run(
        experiment=NAME, registered_name=NAME, bundle=bundle, params={"method": "xgboost"},
        metrics=candidate_metrics(scores), tags={}, artifacts={}, approved=decision.approved,
    )  # fmt: skip
    push_approved(bundle, decision, NAME, info.version, workspace.models, workspace.tracking_uri)

    mlflow.set_tracking_uri(workspace.tracking_uri)
    folder = Path(mlflow.artifacts.download_artifacts(URI, dst_path=str(tmp_path / "model")))
    requirements = folder / "requirements.txt"
    names = [line.split("==")[0] for line in requirements.read_text().split() if "==" in line]
    assert "vigia" not in names and {"pandas", "pyarrow"} <= set(names)
    assert {"xgboost", "xgboost-cpu"} & set(names)  # the CPU build provides `xgboost` on Linux
    assert all("==" in line for line in requirements.read_text().split())  # pinned
    assert (folder / "code" / "vigia" / "models" / "bundle.py").is_file()
    here = mlflow.pyfunc.load_model(URI)
    assert here.metadata.signature is not None
    example = pd.DataFrame(here.input_example)
    expected = here.predict(example)
    example_json = tmp_path / "example.json"
    example.to_json(example_json, orient="split", date_format="iso")

    started = time.perf_counter()
    python = fresh_venv(tmp_path / "venv", requirements)
    env = {**os.environ, "MLFLOW_TRACKING_URI": workspace.tracking_uri, "PYTHONPATH": "",
           "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}  # fmt: skip
    env.pop("VIGIA_HOME", None)
    done = subprocess.run([str(python), "-c", LOAD, URI, str(example_json)], env=env,
                          capture_output=True, text=True, timeout=600, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["rows"] == len(expected) and loaded["signature"]
    assert loaded["sum"] == pytest.approx(float(expected["value"].sum()), rel=1e-6)
    print(f"fresh venv + load + predict: {time.perf_counter() - started:.1f} s")

    (port,) = free_ports(1)
    log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(python.with_name("mlflow")), "models", "serve", "-m", URI, "--env-manager",
         "local", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(f"{url}/ping", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        body = {"dataframe_split": json.loads(example.to_json(orient="split", date_format="iso"))}
        answer = httpx.post(f"{url}/invocations", json=body, timeout=60)
        assert answer.status_code == 200, answer.text
        predictions = answer.json()["predictions"]
        assert len(predictions) == len(expected)
        total = sum(float(row["value"]) for row in predictions)
        assert total == pytest.approx(float(expected["value"].sum()), rel=1e-6)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
