"""A whole check in one process on a real workspace: reports, status, metrics, the Evidently
project, the MLflow record; an empty window gives a clear 'no data' result."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd

from vigia.monitor.collect import recent_retrain
from vigia.monitor.config import MonitorConfig
from vigia.monitor.evidently_project import open_project
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.publish import record_retraining
from vigia.monitor.runner import run_check
from vigia.registry.tracking import Registry
from vigia.workspace import Workspace

CUT_OFF = pd.Timestamp("2021-12-26")
WEEKS = [CUT_OFF + pd.Timedelta(weeks=k) for k in range(1, 7)]
STATUS_KEYS = {"checked_at", "drift_share", "decision", "rolling_relative_wis", "live_version"}


def test_a_check_writes_every_output(
    monitored_workspace: Workspace, serve_weeks: Callable[..., int], peru_panel: pd.DataFrame
) -> None:
    serve_weeks(WEEKS)
    paths = MonitorPaths.from_workspace(monitored_workspace)
    config = MonitorConfig(min_scored=20)
    result, published = run_check(
        paths, "dengue-forecast", config, peru_panel, artifact_root=monitored_workspace.artifacts
    )
    assert result.as_of == WEEKS[-1]  # default: the newest logged week
    assert result.window["rows"] == 84 and result.window["regions"] == 21
    assert result.data_drift.assessed and result.performance.assessed
    # persistence is the live model: its relative WIS is 1 → the "below baseline" warning
    assert abs(result.performance.overall["relative_wis"] - 1.0) < 1e-4
    assert result.decision.action in ("warn", "retrain")

    status = json.loads(paths.status.read_text(encoding="utf-8"))
    assert set(status) >= STATUS_KEYS and status["model"] == "dengue-forecast"
    assert status["live_version"] == 1 and status["decision"] == result.decision.action
    assert status["drift_share"] == result.data_drift.share
    html = published.files["html"].read_text(encoding="utf-8")
    assert "decision: " + result.decision.action in html
    weekly = published.files["weekly_md"].read_text(encoding="utf-8")
    assert "what was forecast, what happened" in weekly and "PIURA" in weekly
    assert published.files["data-drift"].stat().st_size > 10_000  # Evidently's own HTML

    metrics = paths.metrics.read_text(encoding="utf-8")
    assert 'vigia_drift_share{model="dengue-forecast"}' in metrics
    assert 'vigia_relative_wis{model="dengue-forecast"}' in metrics
    assert 'vigia_monitor_decision{decision="nothing",model="dengue-forecast"} 0.0' in metrics
    assert "vigia_last_prediction_timestamp_seconds" in metrics
    assert 'vigia_model_live_version{model="dengue-forecast"} 1.0' in metrics  # the served name
    assert "vigia_live_version" not in metrics

    workspace, project = open_project(paths.evidently, "dengue-forecast")
    assert len(workspace.list_runs(project.id)) == 3  # data drift, prediction drift, performance

    registry = Registry(monitored_workspace.tracking_uri)
    runs = registry.client.search_runs([registry.experiment_id("monitoring")])
    assert len(runs) == 1
    assert runs[0].data.tags["vigia.decision"] == result.decision.action
    assert "relative WIS" in runs[0].data.tags["vigia.reasons"]

    history = paths.history.read_text(encoding="utf-8").splitlines()
    assert json.loads(history[-1])["event"] == "check"


def test_an_empty_window_is_no_data_not_a_crash(
    monitored_workspace: Workspace, peru_panel: pd.DataFrame
) -> None:
    paths = MonitorPaths.from_workspace(monitored_workspace)
    result, published = run_check(
        paths, "dengue-forecast", MonitorConfig(), peru_panel, mlflow=False
    )
    assert result.decision.action == "nothing" and result.decision.no_data
    assert result.decision.reasons[0].startswith("no data")
    assert not result.data_drift.assessed and not result.performance.assessed
    status = json.loads(paths.status.read_text(encoding="utf-8"))
    assert status["drift_share"] is None and status["rows"] == 0
    assert "no data" in published.files["html"].read_text(encoding="utf-8")
    assert "vigia_drift_share" not in paths.metrics.read_text(encoding="utf-8")


def test_a_retraining_attempt_starts_the_cooldown(monitored_workspace: Workspace) -> None:
    paths = MonitorPaths.from_workspace(monitored_workspace)
    week = pd.Timestamp("2022-03-06")
    record_retraining(paths, "dengue-forecast", 1, week, {"version": 2, "pushed": False})
    assert recent_retrain(paths, "dengue-forecast", 1, week + pd.Timedelta(weeks=7), 8) == (
        "2022-03-06"
    )
    assert recent_retrain(paths, "dengue-forecast", 1, week + pd.Timedelta(weeks=8), 8) is None
    assert recent_retrain(paths, "dengue-forecast", 2, week, 8) is None  # another version
