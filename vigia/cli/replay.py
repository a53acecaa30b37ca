"""``vigia replay``: the monitoring loop shown on real past weeks.

Train on the data up to a cut-off (training pipeline, kfp.local, approval gate), start the real
KServe server (``vigia serve``), then week by week: send the week's counts to the live endpoint as
a client would, run the monitoring check, and retrain when it decides so (the retrained model goes
through the same gate; an approved one is pushed and the server swaps to it without a restart).
Prints the timeline: week, drift share, rolling relative WIS, decision, live version.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from vigia.cli.common import Step, say
from vigia.cli.pipeline import add_training_options
from vigia.errors import VigiaError

MODEL = "dengue-forecast"
DEFAULT_CUT_OFF = "2021-12-26"  # the last week of 2021: replay the 2022 season
REPLAY_TRAINING = {"backtest_years": 0.5, "refit_every": 26}  # keeps each training ~1 minute


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "replay",
        help="replay past weeks through the live endpoint: weekly monitoring, retraining, "
        "a timeline",
    )
    parser.add_argument(
        "--cut-off",
        default=DEFAULT_CUT_OFF,
        help=f"train on weeks up to this date ({DEFAULT_CUT_OFF})",
    )
    parser.add_argument(
        "--weeks", type=int, default=0, help="weeks to replay after the cut-off (default: all)"
    )
    parser.add_argument("--config", type=Path, default=None, help="monitoring thresholds (TOML)")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    add_training_options(parser)
    parser.set_defaults(handler=_replay)


def _fresh(ws: Any) -> None:
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
    raise VigiaError(f"the server logged no payload in {timeout:.0f}s ({folder})")


def _wait_for_version(base: str, version: int, timeout: float = 120.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reply = httpx.get(f"{base}/v2/models/{MODEL}", timeout=5.0)
        if reply.status_code == 200 and str(version) in reply.json().get("versions", []):
            return
        time.sleep(0.25)
    raise VigiaError(f"the server did not swap to version {version} within {timeout:.0f}s")


def _replay(args: argparse.Namespace) -> int:
    import httpx
    import pandas as pd

    from vigia.cli.common import workspace
    from vigia.cli.monitor import training_for_retrain
    from vigia.cli.pipeline import run_training, training_overrides
    from vigia.data.ingest import ingest_panel
    from vigia.monitor.config import monitor_config_text, parse_monitor_config
    from vigia.monitor.replay import TimelineRow, replay_weeks, timeline_table, weekly_request
    from vigia.serving.process import free_ports, start_server, stop_server, wait_ready
    from vigia.training import passive_openmp

    started = time.perf_counter()
    passive_openmp()
    config = parse_monitor_config(monitor_config_text(args.config))
    for key, value in REPLAY_TRAINING.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    overrides = training_overrides(args)
    panel, card = ingest_panel(
        overrides["source"],
        region_col=overrides["region_col"] or "region",
        date_col=overrides["date_col"] or "week_start",
        target_col=overrides["target_col"] or "cases",
        level=overrides["level"] or "department",
        regions=overrides["regions"] or "",
    )
    try:
        cut_off = pd.Timestamp(args.cut_off)
    except ValueError:
        raise VigiaError(f"--cut-off {args.cut_off!r} is not a date (YYYY-MM-DD)") from None
    weeks = replay_weeks(panel, cut_off, args.weeks)
    ws = workspace(args)
    _fresh(ws)
    say(
        f"Vigía replay: train on {card['source']} up to {cut_off:%Y-%m-%d}, then replay "
        f"{len(weeks)} weeks ({weeks[0]:%Y-%m-%d} … {weeks[-1]:%Y-%m-%d}) through the live "
        "endpoint with a monitoring check each week"
    )
    with Step(f"training pipeline on data up to {cut_off:%Y-%m-%d} (kfp.local)"):
        first = run_training(args, quiet=True, end=f"{cut_off:%Y-%m-%d}")
    if not first["pushed"]:
        raise VigiaError(
            "the first model was not approved by the gate: "
            + "; ".join(first["decision"]["reasons"])
        )
    say(f"  version {first['version']} approved and pushed")

    from vigia.monitor.check import MonitorPaths
    from vigia.monitor.runner import run_check
    from vigia.pipelines.retrain import start_retraining

    paths = MonitorPaths.from_workspace(ws)
    folder = ws.payload_logs / MODEL
    http_port, grpc_port = free_ports(2)
    port = args.port or http_port
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
    say("week        served  drift  pred.drift  rel.WIS  cov90  decision  live  note")
    try:
        for week in weeks:
            reply = httpx.post(
                f"{base}/v1/models/{MODEL}:predict", json=weekly_request(panel, week), timeout=60
            )
            if reply.status_code != 200:
                raise VigiaError(f"week {week:%Y-%m-%d}: HTTP {reply.status_code} {reply.text}")
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
                outcome = start_retraining(
                    model=result.model,
                    as_of=f"{week:%Y-%m-%d}",
                    training=training_for_retrain(args, ws, MODEL, end=f"{week:%Y-%m-%d}"),
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
            say(_line(row))
    finally:
        stop_server(server)
    out = paths.reports_root / "replay"
    out.mkdir(parents=True, exist_ok=True)
    table = timeline_table(rows)
    (out / "timeline.md").write_text(table + "\n", encoding="utf-8")
    (out / "timeline.json").write_text(
        json.dumps([r.to_dict() for r in rows], indent=2), encoding="utf-8"
    )
    counts = {a: sum(r.decision == a for r in rows) for a in ("nothing", "warn", "retrain")}
    say("")
    say(table)
    say("")
    say(
        f"{len(rows)} weeks: {counts['nothing']} nothing, {counts['warn']} warn, "
        f"{counts['retrain']} retrain; finished in {time.perf_counter() - started:.0f}s"
    )
    say(f"timeline: {out / 'timeline.md'} · reports: {paths.reports_root} · see them: vigia ui")
    return 0


def _line(row: Any) -> str:
    def fmt(value: float | None, digits: int) -> str:
        return "   –  " if value is None else f"{value:6.{digits}f}"

    return (
        f"{row.week}  v{row.served_version:<5} {fmt(row.drift_share, 2)} "
        f"{fmt(row.prediction_drift_share, 2)}     {fmt(row.rolling_relative_wis, 3)}  "
        f"{fmt(row.coverage_90, 2)} {row.decision:<9} v{row.live_version:<4} {row.note}"
    )
