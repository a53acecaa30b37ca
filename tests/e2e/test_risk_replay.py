"""The risk replay loop on a short real slice: four weeks of 2022 severity cases through the live
endpoint of a real server, labels one week late, a check per week, realized ROC-AUC once the
labels arrive, the timeline written."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from risk_live import MODEL, install_live_risk_model
from sklearn.metrics import roc_auc_score

from vigia.monitor.paths import MonitorPaths
from vigia.monitor.risk_config import load_risk_monitor_config
from vigia.monitor.risk_replay import replay_risk, write_timeline
from vigia.risk.task import TARGET, TIME
from vigia.serving.process import free_ports, start_server, stop_server, wait_ready
from vigia.workspace import Workspace


@pytest.mark.slow  # trains a small model and starts a server: ≈ 1–2 minutes
def test_four_weeks_through_the_live_endpoint(tmp_path) -> None:
    ws = Workspace(tmp_path / "ws").ensure()
    live = install_live_risk_model(ws, rows=6000)
    weeks = sorted(live.test[TIME].unique())[:4]
    cases = live.test[live.test[TIME].isin(weeks)]
    http, grpc = free_ports(2)
    server = start_server(ws.root, http, grpc, ws.root / "server.log")
    paths = MonitorPaths.from_workspace(ws)
    try:
        wait_ready(f"http://127.0.0.1:{http}/v2/models/{MODEL}/ready", server)
        replay = replay_risk(
            f"http://127.0.0.1:{http}", paths, MODEL, live.model.features, live.version, cases,
            load_risk_monitor_config(), label_delay_weeks=1, evidently=False,
        )  # fmt: skip
    finally:
        stop_server(server)
    assert [w.week for w in replay.weeks] == [f"{pd.Timestamp(w):%Y-%m-%d}" for w in weeks]
    assert all(w.estimated_roc_auc is not None for w in replay.weeks)
    # Weeks 1–3 had their labels revealed a week later; the last one is still waiting.
    assert [w.realized_roc_auc is not None for w in replay.weeks] == [True, True, True, False]
    first = cases[cases[TIME] == weeks[0]]
    expected = roc_auc_score(first[TARGET], live.model.predict_proba(first))
    assert replay.weeks[0].realized_roc_auc == pytest.approx(expected, abs=1e-5)
    assert replay.weeks[0].revealed_at == replay.weeks[1].week
    summary = replay.summary()
    assert summary["weeks_compared"] == 3 and 0 <= summary["cbpe"]["mean_abs_error"] < 0.2
    # From week 2 on, the labels of week 1 recalibrate the estimate (>= 200 rows needed).
    assert replay.weeks[0].recalibrated_roc_auc is None
    assert replay.weeks[2].recalibrated_roc_auc is not None
    files = write_timeline(replay, tmp_path / "timeline")
    assert json.loads(files["json"].read_text())["summary"]["weeks_compared"] == 3
    assert "| estimated ROC-AUC | recalibrated | realized ROC-AUC |" in files["md"].read_text()
    statuses = list((paths.reports_root / MODEL).glob("*/check.json"))
    assert len(statuses) == 4
