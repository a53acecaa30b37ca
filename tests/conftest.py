"""Shared fixtures: an isolated workspace per test, the real Peru panel, the real CLI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import SMALL_REGIONS, run_cli

from vigia.workspace import Workspace

pytest_plugins = ["cpu_durations"]


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh workspace under tmp_path; VIGIA_HOME points at it for code and subprocesses."""
    ws = Workspace(tmp_path / "ws").ensure()
    monkeypatch.setenv("VIGIA_HOME", str(ws.root))
    return ws


@pytest.fixture(scope="session")
def peru_panel() -> pd.DataFrame:
    """The real department × week panel from the MINSA line list (21 regions × 209 weeks)."""
    from vigia.data.peru import peru_weekly_panel

    return peru_weekly_panel().panel


@pytest.fixture(scope="session")
def small_panel(peru_panel: pd.DataFrame) -> pd.DataFrame:
    """Three real departments, all weeks: fast enough for pipeline tests."""
    return peru_panel[peru_panel["region"].isin(SMALL_REGIONS)].reset_index(drop=True)


@pytest.fixture
def cli():
    """The ``run_cli`` helper as a fixture."""
    return run_cli


@pytest.fixture(scope="session")
def live_models(tmp_path_factory: pytest.TempPathFactory, peru_panel: pd.DataFrame) -> Path:
    """A model store holding a live ``dengue-forecast`` for all 21 Peru departments.

    Made by the training workflow's own functions: persistence fitted on the real panel,
    backtested, passed through a real gate (loose threshold, so the baseline is approved),
    registered in MLflow and pushed. Copy it (``live_workspace``) before writing next to it.
    """
    from vigia.registry.tracking import Registry
    from vigia.training import (
        candidate_metrics,
        evaluate_candidate,
        push_approved,
        train_forecaster,
    )

    ws = Workspace(tmp_path_factory.mktemp("live") / "ws").ensure()
    bundle = ws.root / "bundle"
    train_forecaster(peru_panel, "persistence", 0, bundle, {"data_hash": "test"})
    scores, decision = evaluate_candidate(
        peru_panel, "persistence", 0, {"max_relative_wis": 1.5}, None, years=0.25
    )
    info = Registry(ws.tracking_uri, ws.artifacts).log_training_run(
        experiment="dengue-forecast",
        registered_name="dengue-forecast",
        bundle=bundle,
        params={"method": "persistence"},
        metrics=candidate_metrics(scores),
        tags={},
        artifacts={},
        approved=decision.approved,
    )
    push_approved(bundle, decision, "dengue-forecast", info.version, ws.models, ws.tracking_uri)
    return ws.models


@pytest.fixture
def live_workspace(workspace: Workspace, live_models: Path) -> Workspace:
    """The isolated ``workspace`` with a copy of the live model store."""
    import shutil

    shutil.copytree(live_models, workspace.models, dirs_exist_ok=True)
    return workspace
