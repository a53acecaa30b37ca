"""Risk monitoring on a real severity model: training data is not flagged, a planted shift is,
realized metrics once labels arrive, the reports, metrics and Evidently project, and
``vigia monitor run --model dengue-severity`` as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from risk_live import MODEL, LiveRisk, install_live_risk_model, log_rows
from sklearn.metrics import roc_auc_score

from vigia.monitor.evidently_project import open_project
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.risk_check import check_risk_model
from vigia.monitor.risk_collect import read_labels
from vigia.monitor.risk_config import load_risk_monitor_config
from vigia.monitor.risk_runner import run_risk_check
from vigia.risk.task import TARGET
from vigia.workspace import Workspace

CONFIG = load_risk_monitor_config()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> LiveRisk:
    return install_live_risk_model(Workspace(tmp_path_factory.mktemp("risk") / "ws").ensure())


@pytest.fixture(scope="module")
def paths(live: LiveRisk) -> MonitorPaths:
    return MonitorPaths.from_workspace(live.ws)


def test_a_sample_of_the_training_data_is_not_flagged(live: LiveRisk, paths: MonitorPaths) -> None:
    window = log_rows(live, live.train.sample(1000, random_state=1))
    check, _ = check_risk_model(paths, MODEL, CONFIG, *window)
    assert check.rows == 1000 and check.requests == 2
    assert check.data_drift.assessed and check.data_drift.drifted == []
    assert check.decision.action == "nothing", check.decision.reasons
    # In-sample rows: the estimate is close to what the snapshot's hold-out promises.
    assert check.estimated is not None and check.reference_estimate is not None
    assert abs(check.estimated.positive_rate - check.reference_estimate.positive_rate) < 0.03


@pytest.mark.parametrize(
    "shift",
    [
        pytest.param(lambda rows: rows.assign(edad=rows["edad"] + 20), id="age moved 20 years"),
        pytest.param(lambda rows: rows[rows["edad"] >= 18], id="children removed"),
    ],
)
def test_a_planted_shift_is_detected(live: LiveRisk, paths: MonitorPaths, shift) -> None:
    rows = shift(live.train.sample(1500, random_state=2))
    window = log_rows(live, rows)
    check, _ = check_risk_model(paths, MODEL, CONFIG, *window)
    assert "edad" in check.data_drift.drifted
    assert check.decision.action == "warn"
    assert any("drifted features (edad" in r or "edad" in r for r in check.decision.reasons)


def test_realized_metrics_once_labels_arrive_and_everything_is_published(
    live: LiveRisk, paths: MonitorPaths, tmp_path: Path
) -> None:
    rows = live.test.sample(1200, random_state=3)
    window = log_rows(live, rows, batch=400)
    # The client joins outcomes to the request ids it got answers for: offline-0..2, rows 0..399.
    labels = pd.DataFrame(
        {
            "request_id": [f"offline-{i // 400}" for i in range(len(rows))],
            "row": [i % 400 for i in range(len(rows))],
            "label": rows[TARGET].to_numpy(),
        }
    )
    csv = tmp_path / "labels.csv"
    labels.to_csv(csv, index=False)
    outcome = run_risk_check(paths, MODEL, CONFIG, *window, labels=csv, retrain=None)
    check = outcome.check
    assert check.labelled == 1200 and check.realized is not None
    expected = roc_auc_score(rows[TARGET], live.model.predict_proba(rows))
    assert check.realized.roc_auc == pytest.approx(expected, abs=1e-5)  # logged at 6 decimals
    assert check.estimated is not None and check.estimated.roc_auc is not None
    # Age and sex are tested; place and epidemic features are excluded (they move every week).
    assert set(check.data_drift.columns) == {"edad", "sexo"}
    assert check.data_drift.untested["distrito"] == "excluded in the monitoring config"
    assert check.decision.action in ("nothing", "warn")
    files = outcome.published.files
    status = json.loads(files["status"].read_text())
    assert status["realized_roc_auc"] == pytest.approx(expected, abs=1e-5)
    assert status["model"] == MODEL and status["kind"] == "classifier"
    prom = files["metrics"].read_text()
    for name in (
        "vigia_drift_share",
        "vigia_risk_estimated_roc_auc",
        "vigia_risk_realized_roc_auc",
        "vigia_risk_labelled_predictions",
        f'vigia_monitor_decision{{decision="{check.decision.action}",model="dengue-severity"}} 1.0',
    ):
        assert name in prom
    assert files["html"].exists() and files["data_drift"].exists()
    workspace, project = open_project(paths.evidently, MODEL)
    kinds = {run.kind for run in outcome.published.evidently_runs}
    assert kinds == {"data-drift", "prediction-drift", "performance"}
    assert len(workspace.list_runs(project.id)) == 3


def test_labels_file_errors_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "labels.csv"
    bad.write_text("request_id,row,label\nr1,0,1\nr1,1,maybe\n", encoding="utf-8")
    with pytest.raises(Exception, match="line 3: label must be 1/0"):
        read_labels(bad)
    bad.write_text("request_id,label\nr1,1\n", encoding="utf-8")
    with pytest.raises(Exception, match="missing column"):
        read_labels(bad)


@pytest.mark.slow  # two CLI processes (≈ 20 s each on a quiet machine)
def test_monitor_run_with_a_risk_model(cli, live: LiveRisk) -> None:
    log_rows(live, live.train.sample(400, random_state=4))
    result = cli(
        ["--workspace", str(live.ws.root), "monitor", "run", "--model", MODEL, "--json",
         "--no-retrain", "--since", "2000-01-01"]
    )  # fmt: skip
    assert result.code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["model"] == MODEL and status["rows"] >= 400
    assert status["estimated_roc_auc"] is not None
    bad = cli(["--workspace", str(live.ws.root), "monitor", "run", "--model", MODEL,
               "--labels", str(live.ws.root / "nope.csv")])  # fmt: skip
    assert bad.code == 2 and "labels" in bad.stderr and "Traceback" not in bad.stderr
    assert np.isfinite(status["drift_share"])


def test_risk_replay_refuses_bad_requests_in_one_line(cli, tmp_path: Path) -> None:
    for dataset, words in (("readmission", "has no time column"), ("nope", "unknown dataset")):
        result = cli(["--workspace", str(tmp_path / "ws"), "risk", "replay", "--dataset", dataset])
        assert result.code == 2 and words in result.stderr
        assert "Traceback" not in result.stderr


def test_retraining_knows_the_builtin_data_and_says_how_otherwise(tmp_path: Path) -> None:
    from vigia.workflows.retrain import builtin_source, start_risk_retraining

    assert builtin_source("dengue-severity") == "dengue-severity"
    assert builtin_source("readmission-risk") == "readmission"
    outcome = start_risk_retraining(
        {"name": "cohort-risk", "version": 1}, pd.Timestamp("2026-01-04"), tmp_path, tmp_path
    )
    assert outcome["started"] is False
    assert "vigia risk train --data FILE --name cohort-risk" in outcome["reason"]
