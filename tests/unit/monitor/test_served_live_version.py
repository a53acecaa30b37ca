"""Monitoring checks the version the server serves when it can ask one (V2 metadata from a real
``python -m vigia.serving`` process on the store's version folder) and says where the number
came from; without a reachable server it falls back to the store's pointer and says so."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx

from vigia.monitor.reference import live_model
from vigia.registry.store import ModelStore
from vigia.serving.process import free_ports
from vigia.workspace import Workspace

MODEL = "dengue-forecast"


def test_live_model_follows_the_server_then_the_pointer(monitored_workspace: Workspace) -> None:
    ws = monitored_workspace
    store = ModelStore(ws.models)
    version = store.current(MODEL)
    assert version is not None
    fallback = live_model(ws.models, ws.tracking_uri, MODEL, "http://127.0.0.1:9")
    assert fallback.version == version
    assert fallback.version_source.startswith("the store's pointer (server http://127.0.0.1:9")
    http, grpc = free_ports(2)
    folder = store.version_dir(MODEL, version)
    server = subprocess.Popen(
        [sys.executable, "-m", "vigia.serving", "--model-dir", str(folder),
         "--model-name", MODEL, "--http_port", str(http), "--grpc_port", str(grpc)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{http}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/v2/health/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        model = live_model(ws.models, ws.tracking_uri, MODEL, url)
        assert model.version == version and model.pointer_version == version
        assert model.version_source == f"served by {url}"
        assert model.to_dict()["version_source"] == f"served by {url}"
    finally:
        server.terminate()
        server.wait(timeout=30)
