"""Control endpoints with an operator token: load/unload need it; an unloaded model makes the
server not ready (issue 15: anyone could unload, and readiness still said 200)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving_helpers import MAIN, Served, Setup

from vigia.serving.process import free_ports, wait_ready
from vigia.serving.process import launch as start
from vigia.serving.process import stop_server as stop

TOKEN = "operator-token-for-tests-0123456789"
V1 = f"/v1/models/{MAIN}:predict"


@pytest.fixture(scope="module")
def guarded(setup: Setup, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    folder = tmp_path_factory.mktemp("control")
    token_file = folder / "token"
    token_file.write_text(TOKEN + "\n")
    http, grpc = free_ports(2)
    log = folder / "server.log"
    process = start(
        [sys.executable, "-m", "vigia.serving", "--model-dir", str(setup.ws.models),
         "--model-name", MAIN, "--http_port", str(http), "--grpc_port", str(grpc),
         "--operator-token-file", str(token_file), "--watch-interval", "0"],
        log,
    )  # fmt: skip
    served = Served(process, f"http://127.0.0.1:{http}", f"127.0.0.1:{grpc}", log)
    try:
        wait_ready(served.url("/v2/health/ready"), process, log)
        yield served
    finally:
        assert stop(process) == 0


def test_unload_and_load_need_the_token_and_readiness_follows(guarded: Served) -> None:
    unload = guarded.url(f"/v2/repository/models/{MAIN}/unload")
    load = guarded.url(f"/v2/repository/models/{MAIN}/load")
    assert httpx.post(unload).status_code == 401
    assert httpx.post(unload, headers={"authorization": "Bearer wrong"}).status_code == 401
    assert httpx.post(guarded.url(V1), json={"instances": [{"region": "PIURA"}]}).is_success

    bearer = {"authorization": f"Bearer {TOKEN}"}
    assert httpx.post(unload, headers=bearer).status_code == 200
    assert httpx.get(guarded.url("/v2/health/ready")).status_code == 503
    assert httpx.get(guarded.url(f"/v2/models/{MAIN}/ready")).status_code == 503
    assert httpx.post(guarded.url(V1), json={"instances": [{"region": "PIURA"}]}).status_code == 503

    assert httpx.post(load, headers=bearer).status_code == 200
    assert httpx.get(guarded.url("/v2/health/ready")).status_code == 200
    reply = httpx.post(guarded.url(V1), json={"instances": [{"region": "PIURA"}]})
    assert reply.status_code == 200 and reply.json()["model_version"] == "1"


def test_default_bind_is_loopback(guarded: Served) -> None:
    assert "on http://127.0.0.1:" in Path(guarded.log).read_text()
