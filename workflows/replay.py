"""The monitoring loop on real past weeks (``vigia replay``).

Train on the data up to a cut-off (training pipeline, kfp.local, approval gate), start the real
KServe server (``vigia serve``), then week by week: send the week's counts to the live endpoint as
a client would, run the monitoring check, and retrain when it decides so (the retrained model goes
through the same gate; an approved one is pushed and the server swaps to it without a restart).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from vigia.errors import RuntimeFailure, VigiaError
from vigia.monitor.replay import TimelineRow
from vigia.progress import Step
from vigia.workflows.training import TrainingSpec
from vigia.workspace import Workspace

MODEL = "dengue-forecast"
DEFAULT_CUT_OFF = "2021-12-26"  # the last week of 2021: replay the 2022 season
REPLAY_TRAINING = {"backtest_years": 0.5, "refit_every": 26}  # keeps each training ~1 minute
HEADER = "week        served  drift  pred.drift  rel.WIS  cov90  decision  live  note"


@dataclass(frozen=True)
class ReplaySpec:
    """What to replay.

    Attributes:
        training: The data and the training settings (backtest defaults: ``REPLAY_TRAINING``).
        cut_off: Train on weeks up to this date (ISO).
        weeks: Weeks to replay after the cut-off (0: all).
        port: HTTP port of the server (0: a free one).
        config: Monitoring thresholds (TOML; default the packaged one).
        gates: Gate thresholds (TOML; default the packaged one).
    """

    training: TrainingSpec = field(default_factory=TrainingSpec)
    cut_off: str = DEFAULT_CUT_OFF
    weeks: int = 0
    port: int = 0
    config: Path | None = None
    gates: Path | None = None


@dataclass
class ReplayOutcome:
    rows: list[TimelineRow]
    table: str
    files: dict[str, Path]
    reports_root: Path
    seconds: float

    def counts(self) -> dict[str, int]:
        return {a: sum(r.decision == a for r in self.rows) for a in ("nothing", "warn", "retrain")}


def _fresh(ws: Workspace) -> None:
    from vigia.registry.store import ModelStore

    if (
        ModelStore(ws.models).versions(MODEL)
        or (ws.reports / "monitoring" / "history.jsonl").exists()
    ):
        raise VigiaError(
            f"{ws.root} already has {MODEL} versions or monitoring history; a replay needs a fresh "
            "workspace: vigia --workspace DIR replay"
        )


def _wait_for_payload(folder: Path, count: int, timeout: float = 30.0) -> None:
    """Wait until the payload log holds more than ``count`` records (writing is asynchronous)."""
    from vigia.payloads import read_payloads

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(read_payloads(folder)[0]) > count:
            return
        time.sleep(0.1)
    raise RuntimeFailure(f"the server logged no payload in {timeout:.0f}s ({folder})")


def _wait_for_version(base: str, version: int, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = httpx.get(f"{base}/v2/models/{MODEL}", timeout=5.0)
        if reply.status_code == 200 and str(version) in reply.json().get("versions", []):
            return
        time.sleep(0.25)
    raise RuntimeFailure(f"the server did not swap to version {version} within {timeout:.0f}s")


def timeline_line(row: TimelineRow) -> str:
    """One replayed week as a line under :data:`HEADER`."""

    def fmt(value: float | None, digits: int) -> str:
        return "   –  " if value is None else f"{value:6.{digits}f}"

    return (
        f"{row.week}  v{row.served_version:<5} {fmt(row.drift_share, 2)} "
        f"{fmt(row.prediction_drift_share, 2)}     {fmt(row.rolling_relative_wis, 3)}  "
        f"{fmt(row.coverage_90, 2)} {row.decision:<9} v{row.live_version:<4} {row.note}"
    )


def replay(ws: Workspace, spec: ReplaySpec, say: Callable[[str], None] = print) -> ReplayOutcome:
    """Replay the weeks after ``spec.cut_off`` in the fresh workspace ``ws``; progress and one
    line per week go to ``say``. Writes ``reports/monitoring/replay/timeline.{md,json}``."""
    import httpx
    import pandas as pd

    from vigia.monitor.config import monitor_config_text, parse_monitor_config
    from vigia.monitor.replay import replay_weeks, timeline_table, weekly_request
    from vigia.serving.process import free_ports, start_server, stop_server, wait_ready
    from vigia.training import passive_openmp
    from vigia.workflows.retrain import start_retraining
    from vigia.workflows.training import run_training, training_pipeline_arguments

    started = time.perf_counter()
    passive_openmp()
    config = parse_monitor_config(monitor_config_text(spec.config))
    training = replace(
        spec.training,
        **{k: v for k, v in REPLAY_TRAINING.items() if getattr(spec.training, k) is None},
    )
    panel, card = replace(training, end=None).ingest()
    try:
        cut_off = pd.Timestamp(spec.cut_off)
    except ValueError:
        raise VigiaError(f"--cut-off {spec.cut_off!r} is not a date (YYYY-MM-DD)") from None
    weeks = replay_weeks(panel, cut_off, spec.weeks)
    ws = ws.ensure()
    _fresh(ws)
    say(
        f"Vigía replay: train on {card['source']} up to {cut_off:%Y-%m-%d}, then replay "
        f"{len(weeks)} weeks ({weeks[0]:%Y-%m-%d} … {weeks[-1]:%Y-%m-%d}) through the live "
        "endpoint with a monitoring check each week"
    )
    with Step(f"training pipeline on data up to {cut_off:%Y-%m-%d} (kfp.local)"):
        first = run_training(
            ws, replace(training, end=f"{cut_off:%Y-%m-%d}"), spec.gates, quiet=True
        )
    if not first["pushed"]:
        raise VigiaError(
            "the first model was not approved by the gate: "
            + "; ".join(first["decision"]["reasons"])
        )
    say(f"  version {first['version']} approved and pushed")

    from vigia.monitor.paths import MonitorPaths
    from vigia.monitor.runner import run_check

    paths = MonitorPaths.from_workspace(ws)
    folder = ws.payload_logs / MODEL
    http_port, grpc_port = free_ports(2)
    port = spec.port or http_port
    log = ws.logs / "replay-server.log"
    with Step("starting the KServe model server (vigia serve)"):
        server = start_server(ws.root, port, grpc_port, log)
        try:
            wait_ready(f"http://127.0.0.1:{port}/v2/models/{MODEL}/ready", server)
        except VigiaError:
            stop_server(server)
            raise
    base = f"http://127.0.0.1:{port}"
    rows: list[TimelineRow] = []
    logged = 0
    say(f"  {base}/v1/models/{MODEL}:predict (log {log})")
    say("")
    say(HEADER)
    try:
        for week in weeks:
            reply = httpx.post(
                f"{base}/v1/models/{MODEL}:predict", json=weekly_request(panel, week), timeout=60
            )
            if reply.status_code != 200:
                raise RuntimeFailure(f"week {week:%Y-%m-%d}: HTTP {reply.status_code} {reply.text}")
            served = int(reply.json()["model_version"])
            _wait_for_payload(folder, logged)
            logged += 1
            result, _ = run_check(
                paths,
                MODEL,
                config,
                panel,
                as_of=week,
                artifact_root=ws.artifacts,
                drift_html="alerts",
            )
            status = result.status()
            live, note = served, ""
            if result.decision.action == "retrain":
                retraining = replace(training, registered_name=MODEL, end=f"{week:%Y-%m-%d}")
                outcome = start_retraining(
                    model=result.model,
                    as_of=f"{week:%Y-%m-%d}",
                    training=training_pipeline_arguments(ws, retraining, spec.gates),
                    reports_root=str(paths.reports_root),
                    workspace_root=str(ws.root),
                )
                if outcome["pushed"]:
                    _wait_for_version(base, int(outcome["version"]))
                    live = int(outcome["version"])
                    note = f"retrained → v{live} approved, pushed, hot-swapped"
                else:
                    note = f"retrained → v{outcome['version']} NOT approved, not pushed"
            row = TimelineRow(
                week=f"{week:%Y-%m-%d}",
                served_version=served,
                rows=status["rows"],
                drift_share=status["drift_share"],
                prediction_drift_share=status["prediction_drift_share"],
                rolling_relative_wis=status["rolling_relative_wis"],
                coverage_90=status["coverage_90"],
                decision=result.decision.action,
                live_version=live,
                note=note,
                reasons=result.decision.reasons,
            )
            rows.append(row)
            say(timeline_line(row))
    finally:
        stop_server(server)
    out = paths.reports_root / "replay"
    out.mkdir(parents=True, exist_ok=True)
    table = timeline_table(rows)
    files = {"md": out / "timeline.md", "json": out / "timeline.json"}
    files["md"].write_text(table + "\n", encoding="utf-8")
    files["json"].write_text(json.dumps([r.to_dict() for r in rows], indent=2), encoding="utf-8")
    return ReplayOutcome(rows, table, files, paths.reports_root, time.perf_counter() - started)
