"""Monitoring fixtures: a live model registered the way the training pipeline registers one (MLflow
run with the feature table as ``reference/``, pushed to the store), and a payload log written by
the real servable and payload writer."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from vigia.monitor.replay import serve_offline, weekly_request
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.training import train_forecaster, write_features
from vigia.workspace import Workspace

MODEL = "dengue-forecast"
CUT_OFF = pd.Timestamp("2021-12-26")


def install_live_model(
    ws: Workspace, panel: pd.DataFrame, method: str = "persistence", backtest: float = 1.0
) -> int:
    """Train ``method`` on ``panel``, log it with its feature table, push it; return the version."""
    build = ws.root / "build" / method
    train_forecaster(panel, method, 0, build / "model", {"data_hash": "test"})
    write_features(panel, build / "table", build / "catalog.json", build / "catalog.md")
    registry = Registry(ws.tracking_uri, ws.artifacts)
    info = registry.log_training_run(
        experiment=MODEL,
        registered_name=MODEL,
        bundle=build / "model",
        params={"method": method},
        metrics={"relative_wis": backtest},
        tags={"vigia.data_hash": "test"},
        artifacts={"reference": build / "table"},
        approved=True,
    )
    ModelStore(ws.models).push(
        MODEL,
        info.version,
        build / "model",
        manifest_updates={"name": MODEL, "version": info.version, "run_id": info.run_id},
    )
    registry.promote(MODEL, info.version)
    return info.version


def log_weeks(ws: Workspace, panel: pd.DataFrame, weeks: list[pd.Timestamp]) -> int:
    """One request per week (every region, its counts up to that week), through the servable."""
    bundle = ModelStore(ws.models).current_dir(MODEL)
    requests = [weekly_request(panel, week) for week in weeks]
    return serve_offline(bundle, requests, ws.payload_logs, MODEL)


@pytest.fixture
def serve_weeks(monitored_workspace: Workspace, peru_panel: pd.DataFrame) -> Callable[..., int]:
    """``serve_weeks(weeks)``: log one real request per week to the live workspace's payload log."""

    def serve(weeks: list[pd.Timestamp], panel: pd.DataFrame | None = None) -> int:
        return log_weeks(monitored_workspace, peru_panel if panel is None else panel, weeks)

    return serve


@pytest.fixture(scope="session")
def monitored_template(tmp_path_factory: pytest.TempPathFactory, peru_panel: pd.DataFrame) -> Path:
    """A workspace whose live model (persistence, trained up to 2021-12-26) is registered with
    its training feature table; built once, copied by ``monitored_workspace``."""
    ws = Workspace(tmp_path_factory.mktemp("monitored") / "ws").ensure()
    install_live_model(ws, peru_panel[peru_panel["week_start"] <= CUT_OFF])
    return ws.root


@pytest.fixture
def monitored_workspace(workspace: Workspace, monitored_template: Path) -> Workspace:
    """The isolated ``workspace`` holding a copy of ``monitored_template`` (registry, store)."""
    shutil.copytree(monitored_template, workspace.root, dirs_exist_ok=True)
    return workspace


@pytest.fixture
def payload_folder(monitored_workspace: Workspace) -> Path:
    return monitored_workspace.payload_logs / MODEL
