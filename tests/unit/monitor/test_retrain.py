"""A retrain decision starts the real training pipeline (kfp.local); a retrained model that fails
the approval gate is registered but never pushed, and the live version does not move."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from vigia.cli.pipeline import gate_config_text
from vigia.monitor.check import MonitorPaths
from vigia.monitor.publish import recent_retrain
from vigia.pipelines.monitoring import start_retraining
from vigia.pipelines.training import training_arguments
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.workspace import Workspace

MODEL = "dengue-forecast"
WEEK = "2022-03-06"


@pytest.mark.slow
def test_a_retrained_model_that_fails_the_gate_is_not_pushed(
    monitored_workspace: Workspace,
) -> None:
    ws = monitored_workspace
    paths = MonitorPaths.from_workspace(ws)
    training = training_arguments(
        ws,
        gate_config_text(None),
        method="constant",  # a useless model: the gate must refuse it
        regions="PIURA,LORETO,TUMBES",
        backtest_years=0.25,
        end=WEEK,
    )
    outcome = start_retraining(
        model={"name": MODEL, "version": 1},
        as_of=WEEK,
        training=training,
        reports_root=str(paths.reports_root),
        workspace_root=str(ws.root),
    )
    assert outcome["started"] and outcome["version"] == 2
    assert outcome["approved"] is False and outcome["pushed"] is False
    assert any(r.startswith("FAIL") for r in outcome["reasons"])
    assert ModelStore(ws.models).current(MODEL) == 1  # serving still reads version 1
    assert ModelStore(ws.models).versions(MODEL) == [1]
    registry = Registry(ws.tracking_uri)
    assert registry.champion(MODEL).version == 1
    assert not registry.version(MODEL, 2).approved
    # The attempt is remembered: the next weeks' retrain decisions become warnings.
    last = json.loads(paths.history.read_text(encoding="utf-8").splitlines()[-1])
    assert last["event"] == "retraining" and last["retraining"]["pushed"] is False
    later = pd.Timestamp(WEEK) + pd.Timedelta(weeks=2)
    assert recent_retrain(paths, MODEL, 1, later, cooldown_weeks=8) == WEEK
    assert recent_retrain(paths, MODEL, 1, later + pd.Timedelta(weeks=8), 8) is None
