"""A live dengue-severity model for the risk monitoring and risk page tests: trained on a real
slice of the line list (2019–2021), logged with its training snapshot the way the risk pipeline's
register step logs it, pushed to the store; and rows logged by the real servable and payload
writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache

import pandas as pd

from vigia.monitor.replay import serve_offline
from vigia.monitor.risk_replay import v1_instances
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.risk.datasets import builtin
from vigia.risk.metrics import classification_metrics
from vigia.risk.model import RiskModel
from vigia.risk.pyfunc import ClassifierBundleModel
from vigia.risk.snapshot import training_snapshot, write_snapshot
from vigia.risk.task import TARGET, TIME, RiskTask
from vigia.risk.validate import prepare_table
from vigia.risk.workflow import train_step
from vigia.workspace import Workspace

MODEL = "dengue-severity"


@cache
def severity_rows() -> tuple[pd.DataFrame, RiskTask]:
    """The validated severity table (every case 2019–2022) and its task."""
    dataset = builtin(MODEL)
    raw, _ = dataset.load()
    prepared = prepare_table(raw, dataset.task(), MODEL)
    return prepared.table, prepared.task


@dataclass
class LiveRisk:
    ws: Workspace
    model: RiskModel
    train: pd.DataFrame
    test: pd.DataFrame
    task: RiskTask
    version: int


def install_live_risk_model(ws: Workspace, rows: int = 8000, seed: int = 0) -> LiveRisk:
    """XGBoost (1 candidate, 2 folds) on ``rows`` random cases of 2019–2021; tested on 2022."""
    table, task = severity_rows()
    history = table[table[TIME] < pd.Timestamp("2022-01-02")]
    train = history.sample(rows, random_state=seed).sort_values(TIME)
    test = table[table[TIME] >= pd.Timestamp("2022-01-02")]
    build = ws.root / "build"
    model, _ = train_step(
        train, task, build / "model", "test", families=["xgboost"], n_iter=1, folds=2, jobs=1
    )
    write_snapshot(training_snapshot(train, task, model, seed=seed), build / "reference")
    sample = test.sample(5000, random_state=seed)
    scores = classification_metrics(
        sample[TARGET].to_numpy(), model.predict_proba(sample), model.threshold
    )
    registry = Registry(ws.tracking_uri, ws.artifacts)
    info = registry.log_training_run(
        experiment=MODEL,
        registered_name=MODEL,
        bundle=build / "model",
        params={"method": "xgboost"},
        metrics={"roc_auc": float(scores["roc_auc"])},
        tags={"vigia.data_hash": "test"},
        artifacts={"reference": build / "reference"},
        approved=True,
        python_model=ClassifierBundleModel(),
    )
    ModelStore(ws.models).push(
        MODEL,
        info.version,
        build / "model",
        manifest_updates={"name": MODEL, "version": info.version, "run_id": info.run_id},
    )
    registry.promote(MODEL, info.version)
    return LiveRisk(ws, model, train, test, task, info.version)


def log_rows(live: LiveRisk, rows: pd.DataFrame, batch: int = 500) -> tuple[datetime, datetime]:
    """Serve ``rows`` (V1 requests of ``batch`` rows) with the live bundle's servable and log
    them; returns the ``[start, end)`` window that holds exactly these requests."""
    bundle = ModelStore(live.ws.models).current_dir(MODEL)
    requests = [
        {"instances": v1_instances(rows.iloc[i : i + batch], live.model.features)}
        for i in range(0, len(rows), batch)
    ]
    start = datetime.now(UTC)
    serve_offline(bundle, requests, live.ws.payload_logs, MODEL)
    return start, datetime.now(UTC)
