"""Serving fixtures: the prepared workspace (see ``serving_helpers``), the two model servers
and the payload sink, started once per session in parallel and stopped (SIGINT, exit code 0)
at the end."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from serving_helpers import (
    BUNDLE_NAME,
    MAIN,
    OPERATOR_TOKEN,
    SWAP,
    Served,
    Setup,
    register,
)

from vigia.models.bundle import write_forecast_bundle
from vigia.models.xgboost_forecaster import XGBoostForecaster
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.serving.process import free_ports, wait_ready
from vigia.serving.process import launch as start
from vigia.serving.process import stop_server as stop
from vigia.training import push_approved
from vigia.workspace import Workspace


@dataclass
class Stack:
    """The prepared workspace and the running processes."""

    setup: Setup
    main: Served
    bundle: Served
    sink: Served


def _served(args: list[str], log: Path, ports: list[int]) -> Served:
    return Served(start(args, log), f"http://127.0.0.1:{ports[0]}", f"127.0.0.1:{ports[-1]}", log)


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory, small_panel: pd.DataFrame) -> Iterator[Stack]:
    """Everything, in the order that lets the slow parts overlap: each process starts as soon
    as what it serves exists, while the registry work goes on."""
    root = tmp_path_factory.mktemp("serving")
    ws = Workspace(root / "ws").ensure()
    bundles = root / "bundles"
    store = ModelStore(ws.models)
    ports = free_ports(5)
    started: list[Served] = []
    try:
        model = XGBoostForecaster(n_estimators=5, n_jobs=1).fit(small_panel)
        write_forecast_bundle(bundles / "xgb", model, small_panel, {"data_hash": "test"})
        store.push(MAIN, 1, bundles / "xgb", manifest_updates={"name": MAIN, "version": 1})
        bundle = _served(
            [sys.executable, "-m", "vigia.serving", "--model-dir",
             str(store.version_dir(MAIN, 1)), "--model-name", BUNDLE_NAME, "--host", "127.0.0.1",
             "--http_port", str(ports[0]), "--grpc_port", str(ports[1])],
            ws.logs / "bundle-server.log", ports[:2],
        )  # fmt: skip
        sink = _served(
            [sys.executable, "-m", "vigia.serving.sink", "--model-dir", str(ws.models),
             "--payload-log", str(root / "sink-payloads"), "--host", "127.0.0.1",
             "--port", str(ports[2]), "--batch-seconds", "0.5"],
            ws.logs / "sink.log", ports[2:3],
        )  # fmt: skip
        started += [bundle, sink]
        registry = Registry(ws.tracking_uri, ws.artifacts)
        v1, decision1 = register(registry, small_panel, SWAP, "persistence", bundles / "swap1")
        push_approved(bundles / "swap1", decision1, SWAP, v1, ws.models, ws.tracking_uri)
        vigia = str(Path(sys.executable).with_name("vigia"))
        token = root / "operator-token"
        token.write_text(OPERATOR_TOKEN)
        main = _served(
            [vigia, "--workspace", str(ws.root), "serve", "--http-port", str(ports[3]),
             "--grpc-port", str(ports[4]), "--watch-interval", "0.2",
             "--operator-token-file", str(token)],
            ws.logs / "server.log", ports[3:],
        )  # fmt: skip
        started.append(main)
        v2, decision2 = register(registry, small_panel, SWAP, "seasonal_naive", bundles / "swap2")
        assert (v1, v2) == (1, 2)
        for served, probe in ((main, "/v2/health/ready"), (bundle, "/v2/health/ready"),
                              (sink, "/healthz")):  # fmt: skip
            wait_ready(served.url(probe), served.process, served.log)
    except BaseException:
        for served in started:
            stop(served.process)
        raise
    yield Stack(Setup(ws, small_panel, bundles / "swap2", decision2), main, bundle, sink)
    for served in started:  # Ctrl-C to all, then wait for each
        served.process.send_signal(signal.SIGINT)
    codes = [stop(served.process, signal_it=False) for served in started]
    assert codes == [0, 0, 0], f"exit codes {codes}; see the logs in {ws.logs}"


@pytest.fixture(scope="session")
def setup(stack: Stack) -> Setup:
    return stack.setup


@pytest.fixture(scope="session")
def server(stack: Stack) -> Served:
    return stack.main


@pytest.fixture(scope="session")
def bundle_server(stack: Stack) -> Served:
    return stack.bundle


@pytest.fixture(scope="session")
def sink(stack: Stack) -> Served:
    return stack.sink
