"""The monitoring loop end to end on real weeks of 2022, short: ``vigia replay`` (training
pipeline, the real server over HTTP, a check per week, retraining through the gate), its reports
in the Evidently UI fetched over HTTP, then the KFP monitoring pipeline under kfp.local deciding a
retraining whose useless candidate the gate refuses (it is not pushed)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from browser import load_page

from vigia.registry.store import ModelStore
from vigia.serving.process import free_ports

# The northern coast and its neighbours: the 2022 outbreak (Piura, Áncash, Lambayeque) and
# regions where it did not happen.
REGIONS = "PIURA,LAMBAYEQUE,ANCASH,TUMBES,LA LIBERTAD,CAJAMARCA"
WEEKS = "8"  # 2022-01-02 … 2022-02-20: warnings from week 4, retraining in week 7
# Six regions × four weeks = 24 rows in a drift window: fewer rows needed than for 21 regions.
CONFIG = "[drift]\nmin_rows = 20\n[decision]\nmin_scored = 30\n"
FORCE = CONFIG.replace("min_scored = 30\n", "min_scored = 30\nnew_weeks_retrain = 1\n")
FORCE += "retrain_cooldown_weeks = 0\n"
MODEL = "dengue-forecast"
# The loop, not the model, is under test: XGBoost trains in seconds (the default hybrid, with its
# LSTM, is exercised by `make demo`).
METHOD = "xgboost"


def vigia(ws: Path, *args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("vigia")), "--workspace", str(ws), *args]


def run(command: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_replay_warns_retrains_and_reports_show_in_the_evidently_ui(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    config = tmp_path / "monitor.toml"
    config.write_text(CONFIG, encoding="utf-8")
    options = ["--regions", REGIONS, "--weeks", WEEKS, "--config", str(config)]
    options += ["--method", METHOD, "--backtest-years", "0.25"]
    replay = run(vigia(ws, "replay", *options), timeout=2400)
    assert replay.returncode == 0, replay.stdout[-3000:] + replay.stderr[-3000:]
    timeline = json.loads((ws / "reports/monitoring/replay/timeline.json").read_text())
    assert len(timeline) == int(WEEKS)
    warned = [row for row in timeline if row["decision"] == "warn"]
    retrained = [row for row in timeline if row["decision"] == "retrain"]
    assert warned, "the 2022 outbreak must raise at least one warning"
    assert retrained, "and at least one retraining decision"
    # Caused by the real data: a drift share or the forecasts' score crossed its threshold.
    reasons = " ".join(retrained[0]["reasons"])
    assert ">=" in reasons and ("drifted features" in reasons or "relative WIS" in reasons)
    assert "retrained → v2" in retrained[0]["note"]
    assert "week        served  drift" in replay.stdout  # the printed timeline
    live = ModelStore(ws / "models").current(MODEL)
    assert live == timeline[-1]["live_version"]

    # The Evidently UI on the workspace: the weeks that warned and retrained are there.
    (port,) = free_ports(1)
    ui = subprocess.Popen(
        vigia(ws, "ui", "--port", str(port)), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        projects = _wait_json(f"{base}/api/projects", ui)
        project = next(p for p in projects if p["name"] == f"Vigía monitoring: {MODEL}")
        snapshots = httpx.get(f"{base}/api/projects/{project['id']}/snapshots", timeout=30).json()
        drift_weeks = {s["timestamp"][:10] for s in snapshots if "data-drift" in s["tags"]}
        for row in (warned[0], retrained[0]):
            assert row["week"] in drift_weeks
        series = httpx.post(
            f"{base}/api/v2/snapshots/{project['id']}/data_series_batch",
            json={
                "series_filter": [
                    {
                        "tags": ["data-drift"],
                        "metadata": {},
                        "metric": "evidently:metric_v2:DriftedColumnsCount",
                        "metric_labels": {"value_type": "share"},
                    }
                ]
            },
            timeout=30,
        ).json()
        plotted = dict(
            zip(
                (s["timestamp"][:10] for s in series["sources"]),
                series["series"][0]["values"],
                strict=True,
            )
        )
        for row in timeline:
            if row["drift_share"] is not None:
                assert plotted[row["week"]] == pytest.approx(row["drift_share"])
        page = httpx.get(f"{base}/", timeout=30)
        assert page.status_code == 200 and "<html" in page.text.lower()
        shot = tmp_path / "evidently-ui.png"
        report = load_page(
            f"{base}/projects/{project['id']}",
            shot,
            ready="document.querySelectorAll('svg').length > 3",
            timeout=120,
        )
        assert shot.stat().st_size > 10_000
        assert not [e for e in report.errors if "favicon" not in e], report.errors
    finally:
        ui.send_signal(signal.SIGINT)
        ui.wait(timeout=30)

    # The KFP monitoring pipeline under kfp.local: a retrain decision (new data since training),
    # a candidate that cannot pass the gate (constant forecasts): registered, never pushed.
    force = tmp_path / "force.toml"
    force.write_text(FORCE, encoding="utf-8")
    before = ModelStore(ws / "models").current(MODEL)
    options = ["--config", str(force), "--method", "constant", "--regions", REGIONS]
    options += ["--backtest-years", "0.25", "--json"]
    checked = run(vigia(ws, "monitor", "run", "--kfp", *options), timeout=2400)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    status = json.loads(checked.stdout)
    assert status["decision"] == "retrain"
    assert ModelStore(ws / "models").current(MODEL) == before  # the refused model is not live
    runs = sorted((ws / "pipeline_root").glob("vigia-forecast-monitoring-*"))
    assert runs, "the monitoring pipeline wrote no run folder"
    outcome = json.loads(
        json.loads((runs[-1] / "monitor-retrain" / "executor_output.json").read_text())[
            "parameterValues"
        ]["Output"]
    )
    assert outcome["started"] and not outcome["approved"] and not outcome["pushed"]
    # The reports are KFP output artifacts (HTML/Markdown the KFP UI shows).
    decided = runs[-1] / "monitor-decide"
    assert "decision: retrain" in (decided / "report").read_text(encoding="utf-8")
    assert "weeks of new data" in (decided / "report").read_text(encoding="utf-8")
    weekly = (decided / "weekly_summary").read_text(encoding="utf-8")
    assert "not assessed" in weekly  # one week of the new version: nothing to score yet
    drift_report = (runs[-1] / "monitor-drift" / "data_drift_report").read_text(encoding="utf-8")
    assert "fewer than min_rows=20" in drift_report
    history = (ws / "reports/monitoring/history.jsonl").read_text().splitlines()
    assert json.loads(history[-1])["retraining"]["pushed"] is False


def _wait_json(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> list:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode()[-2000:]
        try:
            reply: httpx.Response | None = httpx.get(url, timeout=5)
        except httpx.HTTPError:  # not listening yet
            reply = None
        if reply is not None and reply.status_code == 200:
            return reply.json()
        time.sleep(0.5)
    raise AssertionError(f"{url} did not answer within {timeout}s")
