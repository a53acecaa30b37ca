"""Load-and-query before live (issue 15, defect 3): a corrupt bundle never reaches ``CURRENT``.

Real bundles: an XGBoost forecaster (3 trees per horizon) fitted on three real Peru
departments, pushed through the real store; the check runs in a fresh process."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

from vigia.errors import VigiaError
from vigia.models.bundle import write_forecast_bundle
from vigia.models.xgboost_forecaster import XGBoostForecaster
from vigia.registry.checksums import CHECKSUMS, BundleCorrupt, verify_checksums
from vigia.registry.load_check import BundleRejected, load_and_query
from vigia.registry.store import ModelStore
from vigia.servables.check import check_in_process
from vigia.serving.process import free_ports

NAME = "dengue-forecast"


@pytest.fixture(scope="module")
def good_bundle(tmp_path_factory: pytest.TempPathFactory, small_panel: pd.DataFrame) -> Path:
    folder = tmp_path_factory.mktemp("bundles") / "xgb"
    model = XGBoostForecaster(n_estimators=3, n_jobs=1).fit(small_panel)
    write_forecast_bundle(folder, model, small_panel, {"data_hash": "test"})
    return folder


def _copy(bundle: Path, target: Path) -> Path:
    shutil.copytree(bundle, target)
    return target


def _model_file(bundle: Path) -> Path:
    files = [p for p in (bundle / "forecaster").rglob("*") if p.is_file() and p.suffix != ".json"]
    return max(files, key=lambda p: p.stat().st_size)


def test_a_good_push_carries_checksums_and_answers_every_region(
    good_bundle: Path, tmp_path: Path
) -> None:
    store = ModelStore(tmp_path / "models")
    target = store.push(NAME, 1, good_bundle, manifest_updates={"name": NAME, "version": 1})
    assert verify_checksums(target) >= 3
    summary = check_in_process(target)
    assert summary["rows"] == 3 and summary["ok"] is True  # one row per region claimed
    assert store.current(NAME) == 1


@pytest.mark.parametrize(
    "corruption",
    [
        "truncated model file",
        "model file emptied",
        "history removed",
        "claims a region",
        "manifest not JSON",
    ],
)
def test_a_corrupt_bundle_is_refused_before_current_moves(
    good_bundle: Path, tmp_path: Path, corruption: str
) -> None:
    store = ModelStore(tmp_path / "models")
    store.push(NAME, 1, good_bundle, manifest_updates={"name": NAME, "version": 1})
    bad = _copy(good_bundle, tmp_path / "bad")
    if corruption == "truncated model file":
        data = _model_file(bad).read_bytes()
        _model_file(bad).write_bytes(data[: len(data) // 2])
    elif corruption == "model file emptied":
        _model_file(bad).write_bytes(b"")
    elif corruption == "history removed":
        (bad / "history.parquet").unlink()
    elif corruption == "claims a region":
        manifest = json.loads((bad / "vigia-model.json").read_text())
        manifest["regions"].append("LIMA")
        (bad / "vigia-model.json").write_text(json.dumps(manifest))
    else:
        text = (bad / "vigia-model.json").read_text()
        (bad / "vigia-model.json").write_text(text[:-20])
    with pytest.raises(VigiaError):  # BundleRejected, or the manifest named as unreadable
        store.push(NAME, 2, bad, manifest_updates={"name": NAME, "version": 2})
    assert store.current(NAME) == 1 and store.versions(NAME) == [1]
    assert not list(store.model_dir(NAME).glob(".push-*"))  # staging removed


def test_a_bundle_changed_after_its_checksums_is_refused(good_bundle: Path, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    target = store.push(NAME, 1, good_bundle, manifest_updates={"name": NAME, "version": 1})
    copy = _copy(target, tmp_path / "copy")
    (copy / "history.parquet").write_bytes((copy / "history.parquet").read_bytes()[:-10])
    with pytest.raises(BundleCorrupt, match=r"history\.parquet changed"):
        store.push(NAME, 2, copy)
    with pytest.raises(BundleRejected, match=r"history\.parquet changed"):
        load_and_query(copy)  # the fresh-process check verifies the checksums too
    assert (target / CHECKSUMS).exists()


def test_staging_folders_of_dead_pushes_are_removed(good_bundle: Path, tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.push(NAME, 1, good_bundle, manifest_updates={"name": NAME, "version": 1})
    dead = store.model_dir(NAME) / ".push-2-999999999-abc"  # a pid that cannot exist
    alive = store.model_dir(NAME) / f".push-3-{os.getpid()}-abc"  # a push in progress
    old_style = store.model_dir(NAME) / ".push-4-xyz"  # left by the previous naming
    for folder in (dead, alive, old_style):
        folder.mkdir()
    removed = store.clean_staging(NAME)
    assert sorted(p.name for p in removed) == sorted([dead.name, old_style.name])
    assert alive.exists()


def test_a_server_starting_on_a_broken_version_serves_the_newest_that_loads(
    good_bundle: Path, tmp_path: Path
) -> None:
    """Issue 15: a fresh server on a corrupt live version served only 500s (ONNX) or exited 1
    with a traceback; now it falls back, says so in one line and exposes it as a metric. The
    corrupt version is forced in behind the push's back (files and CURRENT written by hand)."""
    store = ModelStore(tmp_path / "models")
    store.push(NAME, 1, good_bundle, manifest_updates={"name": NAME, "version": 1})
    forced = _copy(store.version_dir(NAME, 1), store.version_dir(NAME, 2))
    data = _model_file(forced).read_bytes()
    _model_file(forced).write_bytes(data[: len(data) // 3])
    store.set_current(NAME, 2)
    http, grpc = free_ports(2)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vigia.serving", "--model-dir", str(store.root),
             "--model-name", NAME, "--http_port", str(http), "--grpc_port", str(grpc),
             "--watch-interval", "0"], stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            try:
                if httpx.get(url + "/v2/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        reply = httpx.post(
            f"{url}/v1/models/{NAME}:predict", json={"instances": [{"region": "PIURA"}]}
        )
        assert reply.status_code == 200 and reply.json()["model_version"] == "1"
        metrics = httpx.get(url + "/metrics").text
        assert f'vigia_model_fallback_version{{model="{NAME}"}} 1.0' in metrics
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    text = log.read_text()
    assert (
        "current version 2 is broken" in text and "serving version 1, the newest that loads" in text
    )
    assert "Traceback" not in text
