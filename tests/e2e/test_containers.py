"""Containers for real: `make images` builds the project and predictor images with podman, the
training pipeline runs every component in the project image and matches the subprocess runner,
the predictor image serves the pushed model over V1 and V2 as a non-root user, and a component
that fails inside its container fails the run with its own message.

Needs root on a fresh machine (scripts/setup-podman.sh installs podman); later runs reuse the
image layers, so only the small vigia layer is rebuilt after a code change, and an image whose
inputs are unchanged is not built at all.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from cli_helpers import SMALL_REGIONS, run_cli

from vigia.errors import VigiaError
from vigia.forecasts.quantiles import FLUSIGHT_LEVELS, HORIZONS
from vigia.images import image_ref
from vigia.models.bundle import load_forecast_bundle
from vigia.registry.store import ModelStore
from vigia.serving.process import free_ports
from vigia.workspace import Workspace

pytestmark = [pytest.mark.slow, pytest.mark.container, pytest.mark.timeout(3600)]

ROOT = Path(__file__).resolve().parents[2]
MODEL = "dengue-forecast"
# The containers, not the model's skill on a 3-region slice, are under test: XGBoost (the default
# hybrid, with its LSTM, is `make demo`'s) and one real gate check that the slice passes, so
# there is an approved model to push and serve.
SLICE = ["--regions", ",".join(SMALL_REGIONS), "--backtest-years", "0.25", "--method", "xgboost"]
GATES = "[forecast]\nmax_relative_wis = 1.25\n"


@pytest.fixture(scope="module")
def images() -> dict[str, str]:
    """`make images`: podman set up if missing, both images built (layers reused; an image whose
    inputs are unchanged is not rebuilt)."""
    started = time.perf_counter()
    built = subprocess.run(
        ["make", "--no-print-directory", "images"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=3000,
    )
    assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-4000:]
    print(f"make images: {time.perf_counter() - started:.0f}s\n{built.stdout[-1500:]}")
    return {kind: image_ref(kind, "local") for kind in ("project", "predictor")}


def train(workspace: Path, runner: str, gates: Path) -> dict[str, Any]:
    """`vigia pipeline run training --runner RUNNER --json` on the small slice."""
    args = ["--workspace", str(workspace), "pipeline", "run", "training", *SLICE]
    args += ["--gates", str(gates)]
    result = run_cli([*args, "--runner", runner, "--json"], timeout=1800)
    assert result.code == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def runs(images: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same training run with both runners, each in its own fresh workspace."""
    root = tmp_path_factory.mktemp("runners")
    gates = root / "gates.toml"
    gates.write_text(GATES, encoding="utf-8")
    return {runner: train(root / runner, runner, gates) for runner in ("subprocess", "container")}


def test_container_runner_matches_the_subprocess_runner(runs: dict[str, Any]) -> None:
    local, boxed = runs["subprocess"], runs["container"]
    assert boxed["card"]["content_hash"] == local["card"]["content_hash"]
    assert boxed["card"] == local["card"] and local["card"]["n_regions"] == len(SMALL_REGIONS)
    # every metric of every method is equal; only the timings ("seconds") may differ
    assert set(boxed["scores"]) == set(local["scores"]) and "methods" in local["scores"]
    assert _without_timings(boxed["scores"]) == _without_timings(local["scores"])
    assert boxed["decision"]["checks"] == local["decision"]["checks"]
    assert boxed["decision"]["approved"] is local["decision"]["approved"] is True
    assert boxed["version"] == local["version"] == 1
    assert boxed["pushed"] and local["pushed"]
    # every task ran in the project image: the run log names the image once per task
    tasks = [p for p in Path(boxed["run"]).iterdir() if p.is_dir()]
    logs = Path(boxed["run"]).parents[1] / "logs" / "runs"
    text = "".join(p.read_text(encoding="utf-8") for p in logs.glob("*.log"))
    assert len(tasks) >= 6
    assert text.count(f"Found image '{image_ref('project', 'local')}'") == len(tasks)


def test_predictor_image_serves_the_pushed_model_as_non_root(runs: dict[str, Any]) -> None:
    from vigia.serving.container import start_predictor

    store = Path(runs["container"]["run"]).parents[1] / "models"
    model, history, _ = load_forecast_bundle(ModelStore(store).version_dir(MODEL, 1))
    forecast = model.predict(history)  # a bundled region is served as the pipeline forecast it
    expected = forecast.values[list(forecast.keys["region"]).index("PIURA")]
    http_port, grpc_port = free_ports(2)
    predictor = start_predictor(store, http_port=http_port, grpc_port=grpc_port)
    try:
        predictor.wait_ready()
        assert predictor.user().startswith("uid=10001(vigia)")
        denied = predictor.container.exec_run(["touch", "/mnt/models/x"])
        assert denied.exit_code != 0 and b"Read-only file system" in denied.output

        v1 = httpx.post(
            f"{predictor.url}/v1/models/{MODEL}:predict",
            json={"instances": [{"region": "PIURA"}, {"region": "TUMBES"}]},
            timeout=30,
        )
        assert v1.status_code == 200, v1.text
        first = v1.json()["predictions"][0]
        assert first["horizons"] == list(HORIZONS)
        assert first["quantile_levels"] == pytest.approx(FLUSIGHT_LEVELS)
        np.testing.assert_allclose(np.array(first["quantiles"]), expected, rtol=1e-9)

        v2 = httpx.post(
            f"{predictor.url}/v2/models/{MODEL}/infer",
            json={"inputs": [{"name": "region", "datatype": "BYTES", "shape": [1],
                              "data": ["PIURA"]}]},
            timeout=30,
        )  # fmt: skip
        assert v2.status_code == 200, v2.text
        outputs = {o["name"]: o for o in v2.json()["outputs"]}
        assert outputs["quantiles"]["shape"] == [1, 4, 23]
        values = np.array(outputs["quantiles"]["data"], dtype="float64").reshape(4, 23)
        np.testing.assert_allclose(values, expected, rtol=1e-6)

        bad = httpx.post(f"{predictor.url}/v1/models/{MODEL}:predict", json={"rows": []})
        assert bad.status_code == 400 and "instances" in bad.json()["error"]
    finally:
        exit_code = predictor.stop()
    assert exit_code == 0  # SIGTERM → the server's clean shutdown
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{predictor.url}/v2/health/ready", timeout=2)


def test_failing_component_fails_the_run_with_its_message(
    images: dict[str, str], tmp_path: Path
) -> None:
    from vigia.evaluate.gates import gate_config_text
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import create_training_pipeline, training_arguments

    ws = Workspace(tmp_path / "ws").ensure()
    pipeline = create_training_pipeline(images["project"])
    arguments = training_arguments(ws, gate_config_text(None), regions="ATLANTIS")
    with pytest.raises(VigiaError, match=r"ingest: error: unknown region\(s\): ATLANTIS"):
        run_pipeline_locally(pipeline, arguments, ws, runner="container", quiet=True)
    assert not ModelStore(ws.models).names()
    (log,) = (ws.logs / "runs").glob("*.log")
    executed = log.read_text(encoding="utf-8").count("Executing task \x1b[96m'ingest'")
    assert executed == 1, "a local run does not retry a failed step (retries are a cluster's)"


def _without_timings(scores: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in scores.items() if key != "seconds"}
