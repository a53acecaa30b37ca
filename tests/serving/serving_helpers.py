"""Serving test helpers shared by ``conftest.py`` and the tests: constants, the registry path,
server processes.

The fixtures fit real models on the small panel and push them through the real model store
(and, for the hot-swap model, the real backtest → gate → MLflow registry → push path):
- ``dengue-forecast``: an XGBoost forecaster (5 trees per horizon) pushed as version 1;
- ``dengue-swap``: persistence (version 1, pushed) and seasonal naive (version 2, registered
  and approved, pushed only by the hot-swap test).
Servers run as real processes on free ports (:mod:`vigia.serving.process`): ``vigia serve`` on
the workspace (the CLI path) and ``python -m vigia.serving`` on one bundle folder (the cluster
path, like /mnt/models).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vigia.evaluate.gates import Decision
from vigia.registry.tracking import Registry
from vigia.training import candidate_metrics, evaluate_candidate, train_forecaster
from vigia.workspace import Workspace

MAIN = "dengue-forecast"
SWAP = "dengue-swap"
BUNDLE_NAME = "dengue-bundle"
# The gate's checks are real (backtest relative WIS); the bar is low so baselines pass it.
TEST_GATE = {"max_relative_wis": 5.0}
# The main server (``vigia serve``) runs with this operator token; the bundle server without.
OPERATOR_TOKEN = "serving-tests-operator-token-0123"


@dataclass
class Setup:
    """The prepared workspace and what the hot-swap test pushes."""

    ws: Workspace
    panel: pd.DataFrame
    swap_v2_bundle: Path
    swap_v2_decision: Decision


@dataclass
class Served:
    """A running server process."""

    process: subprocess.Popen[bytes]
    http: str
    grpc: str
    log: Path

    def url(self, path: str) -> str:
        return self.http + path


def register(
    registry: Registry, panel: pd.DataFrame, name: str, method: str, bundle: Path
) -> tuple[int, Decision]:
    """Train → backtest → gate → register, as the training pipeline does."""
    train_forecaster(panel, method, 0, bundle, {"data_hash": "test"})
    scores, decision = evaluate_candidate(panel, method, 0, TEST_GATE, None, years=0.25)
    assert decision.approved, decision.reasons
    info = registry.log_training_run(
        experiment=name,
        registered_name=name,
        bundle=bundle,
        params={"method": method},
        metrics=candidate_metrics(scores),
        tags={"vigia.method": method},
        artifacts={},
        approved=decision.approved,
    )
    return info.version, decision
