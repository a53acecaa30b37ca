"""A whole risk-model check in one process: check → publish → [retrain], what
``vigia monitor run --model <risk model>`` calls.

Retraining goes the way the forecaster's does: the caller passes the retraining to start
(:func:`vigia.workflows.retrain.start_risk_retraining`: the risk pipeline and its approval gate; a
refused candidate is registered and never pushed).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.monitor.collect import recent_retrain
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.risk_check import RiskCheck, conclude_risk
from vigia.monitor.risk_collect import collect_risk, read_labels
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.monitor.risk_measure import measure_risk
from vigia.monitor.risk_publish import RiskPublished, publish_risk_check

Retrain = Callable[[dict[str, Any], pd.Timestamp], dict[str, Any]]


@dataclass
class RiskOutcome:
    check: RiskCheck
    published: RiskPublished
    retraining: dict[str, Any] | None = None


def run_risk_check(
    paths: MonitorPaths,
    model_name: str,
    config: RiskMonitorConfig,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    labels: str | Path | pd.DataFrame | None = None,
    pushgateway: str = "",
    retrain: Retrain | None = None,
    evidently: bool = True,
) -> RiskOutcome:
    """Check the live version of ``model_name``, write the results, retrain if decided.

    Args:
        paths: Where to read (store, registry, payload log) and write (reports).
        model_name: A registered risk classifier.
        config: Thresholds.
        start, end: The window of served requests (default: ``config.days`` up to the newest).
        labels: Outcomes that have arrived: a CSV path or a frame (``request_id``, ``row``,
            ``label``).
        pushgateway: Prometheus Pushgateway URL ("" = the textfile only).
        retrain: What to start on a retrain decision: called with the checked model and the
            week of the check, returns the retraining outcome (None: retrain nothing).
        evidently: Add the reports to the Evidently project.
    """
    frame = read_labels(labels) if isinstance(labels, str | Path) else labels
    as_of = pd.Timestamp(end) if end is not None else pd.Timestamp.now(tz="UTC")
    as_of = (as_of.tz_convert("UTC") if as_of.tzinfo else as_of).tz_localize(None).normalize()
    # The cooldown needs the live version before the check: read it from the store's pointer.
    from vigia.registry.store import ModelStore

    version = ModelStore(paths.store_root).current(model_name) or 0
    cooldown = recent_retrain(paths, model_name, version, as_of, config.retrain_cooldown_weeks)
    data = collect_risk(paths, model_name, config, start, end, frame, cooldown)
    check = conclude_risk(data, measure_risk(data, config), config)
    published = publish_risk_check(check, paths, evidently=evidently, pushgateway=pushgateway)
    outcome = RiskOutcome(check, published)
    if check.decision.action == "retrain" and retrain is not None:
        as_of = pd.Timestamp(check.window["end"]).tz_localize(None).normalize()
        outcome.retraining = retrain(check.model, as_of)
    return outcome
