"""The risk monitoring loop on real past weeks (``vigia risk replay``): train a risk model with
the risk pipeline (or reuse the live one), serve it with ``vigia serve``, replay its test period
week by week through the live endpoint (:func:`vigia.monitor.risk_replay.replay_risk`) and write
the timeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.errors import GateRefusedError, VigiaError
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.monitor.risk_replay import ReplayWeek, RiskReplay, replay_risk, write_timeline
from vigia.risk.task import TIME, Feature


@dataclass
class ReplaySetup:
    """What :func:`run_risk_replay` trains and replays."""

    dataset: str = "dengue-severity"
    label_delay_weeks: int = 2
    weeks: int = 0  # 0 = every week of the test period
    sample_rows: int = 0  # 0 = the whole training data
    families: str = ""
    jobs: int = 2
    seed: int = 0
    gate_config: str = ""  # TOML text; "" = the packaged gates
    port: int = 0
    reuse_model: bool = False  # replay the workspace's live version instead of training one


def run_risk_replay(
    workspace: Any,
    setup: ReplaySetup,
    config: RiskMonitorConfig,
    say: Callable[[str], None] = print,
    progress: Callable[[ReplayWeek], None] | None = None,
) -> tuple[RiskReplay, dict[str, Path]]:
    """Train ``setup.dataset`` with the risk pipeline (kfp.local, gate), serve it with
    ``vigia serve``, replay its test period week by week (:func:`replay_risk`) and write the
    timeline under ``reports/monitoring/replay-<model>/``.

    Raises:
        VigiaError: The workspace already has the model, the dataset has no time column, the
            gate refused the model, or the server failed.
    """
    from vigia.registry.store import ModelStore
    from vigia.risk.datasets import builtin
    from vigia.risk.ingest import ingest_risk
    from vigia.risk.split import train_test
    from vigia.serving.process import free_ports, start_server, stop_server, wait_ready

    task = builtin(setup.dataset).task()
    name = task.name
    if not task.time_col:
        raise VigiaError(f"dataset {setup.dataset} has no time column: nothing to replay by week")
    live_version = ModelStore(workspace.models).current(name)
    if live_version is not None and not setup.reuse_model:
        raise VigiaError(
            f"{workspace.root} already has {name} versions; a replay needs a fresh workspace "
            "(vigia --workspace DIR risk replay) or --reuse-model to replay the live version"
        )
    if live_version is None:
        version = _train(workspace, setup, name, say)
    else:
        version = live_version
        say(f"  replaying the live {name} version {version} (no training)")
    prepared, _ = ingest_risk(setup.dataset)
    split = train_test(prepared.table, prepared.task, setup.seed)
    cases = prepared.table.iloc[split.test]
    weeks = sorted(pd.to_datetime(cases[TIME]).unique())
    if setup.weeks:
        weeks = weeks[: setup.weeks]
        cases = cases[pd.to_datetime(cases[TIME]).isin(weeks)]
    from vigia.models.bundle import read_manifest

    manifest = read_manifest(ModelStore(workspace.models).version_dir(name, version))
    features = [Feature(**f) for f in manifest["features"]]
    paths = MonitorPaths.from_workspace(workspace)
    http_port, grpc_port = free_ports(2)
    port = setup.port or http_port
    log = workspace.logs / f"replay-{name}-server.log"
    say(f"▶ vigia serve on port {port} (log {log})")
    server = start_server(workspace.root, port, grpc_port, log)
    try:
        wait_ready(f"http://127.0.0.1:{port}/v2/models/{name}/ready", server)
        say(
            f"▶ replaying {len(cases):,} cases over {len(weeks)} weeks, labels "
            f"{setup.label_delay_weeks} weeks late"
        )
        replay = replay_risk(
            f"http://127.0.0.1:{port}",
            paths,
            name,
            features,
            version,
            cases,
            config,
            setup.label_delay_weeks,
            progress=progress,
        )
    finally:
        stop_server(server)
    return replay, write_timeline(replay, paths.reports_root / f"replay-{name}")


def _train(workspace: Any, setup: ReplaySetup, name: str, say: Callable[[str], None]) -> int:
    """Train ``setup.dataset`` with the risk pipeline (kfp.local, gate); the pushed version."""
    from vigia.evaluate.gates import gate_config_text
    from vigia.workflows.risk_training import run_risk_training

    gates = setup.gate_config or gate_config_text()
    say(f"▶ risk pipeline for {setup.dataset} (kfp.local, approval gate)")
    outcome = run_risk_training(
        workspace,
        gates,
        quiet=True,
        registered_name=name,
        source=setup.dataset,
        sample_rows=setup.sample_rows,
        families=setup.families,
        seed=setup.seed,
        jobs=setup.jobs,
    )
    if not outcome["pushed"]:
        reasons = "; ".join(outcome["decision"]["reasons"])
        raise GateRefusedError(f"the model was not approved: {reasons}")
    say(f"  {name} version {outcome['version']} approved and pushed ({outcome['seconds']:.0f}s)")
    return int(outcome["version"])
