"""Step 2 of a monitoring check: measure — data drift and prediction drift of the window against
the training references, and the performance of past forecasts against the counts observed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from vigia.monitor.collect import CheckData, check_timestamp
from vigia.monitor.config import MonitorConfig
from vigia.monitor.drift import DATA, PREDICTION, DriftResult, drift_check, prediction_frame
from vigia.monitor.performance import PerformanceResult, score_logged
from vigia.monitor.window import KEYS


@dataclass
class Measurements:
    """What a check measured."""

    data_drift: DriftResult
    prediction_drift: DriftResult
    performance: PerformanceResult


def measure(data: CheckData, config: MonitorConfig) -> Measurements:
    """Drift and performance for the data of one check.

    Args:
        data: From :func:`vigia.monitor.collect.collect`, with the observed counts (``actuals``;
            weeks after ``data.as_of`` are ignored).
        config: Thresholds.
    """
    if data.actuals is None:
        raise ValueError("measure needs the observed counts: collect(..., actuals=...)")
    timestamp = check_timestamp(data.as_of)
    metadata = {"model": data.model.name, "version": str(data.model.version)}
    return Measurements(
        data_drift_of(data, config, timestamp, metadata),
        prediction_drift_of(data, config, timestamp, metadata),
        score_logged(
            data.logged, data.actuals, data.as_of, config.performance_weeks, config.min_scored
        ),
    )


def data_drift_of(
    data: CheckData, config: MonitorConfig, timestamp: datetime, metadata: dict[str, str]
) -> DriftResult:
    """Drift of the window's logged features against the training feature table."""
    current = data.window(config.weeks)
    candidates = [c for c in current.feature_columns if c in data.reference.columns]
    candidates = [c for c in candidates if c not in KEYS]
    return drift_check(
        data.reference, current.inputs, candidates, config, DATA, timestamp, metadata
    )


def prediction_drift_of(
    data: CheckData, config: MonitorConfig, timestamp: datetime, metadata: dict[str, str]
) -> DriftResult:
    """Drift of the window's forecasts against the model's reference forecasts."""
    current = data.window(config.weeks)
    if len(current) == 0 or "last_cases" not in current.inputs.columns:
        empty = pd.DataFrame()
        return drift_check(empty, empty, [], config, PREDICTION, timestamp, metadata)
    now = prediction_frame(current)
    then = prediction_frame(data.reference_predictions)
    return drift_check(then, now, list(now.columns), config, PREDICTION, timestamp, metadata)
