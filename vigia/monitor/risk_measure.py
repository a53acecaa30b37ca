"""Step 2 of a risk model's monitoring check: measure — data drift (Evidently: every feature
against the training snapshot, the calibration hold-out logged with the version, numbers and
categories each with their own method), score drift (the calibrated probability against the
snapshot's), the estimated performance from the scores alone (:mod:`vigia.monitor.cbpe`:
expected ROC-AUC, Brier, positive rate, beside the same estimate on the snapshot) and the
realized performance where labels have arrived."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from vigia.monitor.cbpe import EstimatedPerformance, RealizedPerformance, estimate, realized
from vigia.monitor.drift import DATA, PREDICTION, DriftResult, tested_columns, with_snapshot
from vigia.monitor.risk_collect import RiskData
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.risk.snapshot import HOLDOUT, PROBABILITY
from vigia.risk.task import Feature


@dataclass
class RiskMeasurements:
    """What a risk check measured (:func:`measure_risk`)."""

    data_drift: DriftResult
    score_drift: DriftResult
    estimated: EstimatedPerformance | None
    reference_estimate: EstimatedPerformance | None
    realized: RealizedPerformance | None
    enough_rows: bool
    enough_labels: bool


def measure_risk(data: RiskData, config: RiskMonitorConfig) -> RiskMeasurements:
    """Step 2 of a risk check: data drift of every feature and drift of the score against the
    training snapshot, the estimated performance (CBPE) from the scores alone, and the realized
    performance where labels have arrived."""
    current = data.logged.rows
    meta = {"model": data.model.name, "version": str(data.model.version)}
    excluded = config.excluded(data.model.name)
    snapshot, stamp = data.snapshot, data.stamp
    data_drift = risk_drift(snapshot, current, data.features, config, excluded, DATA, stamp, meta)
    scored = snapshot[snapshot[HOLDOUT]] if HOLDOUT in snapshot else snapshot
    score = Feature(PROBABILITY, "numeric")
    score_drift = risk_drift(scored, current, [score], config, (), PREDICTION, stamp, meta)
    enough = len(current) >= config.min_rows
    threshold = data.threshold
    estimated = estimate(current[PROBABILITY].to_numpy(), threshold) if enough else None
    reference_estimate = (
        estimate(scored[PROBABILITY].to_numpy(), threshold) if len(scored) else None
    )
    joined = data.labelled
    y = joined["label"].to_numpy(dtype="int64")
    labelled_ok = len(y) >= config.min_labelled and min(y.sum(), len(y) - y.sum()) >= 10
    realized_ = realized(y, joined[PROBABILITY].to_numpy(), threshold) if labelled_ok else None
    return RiskMeasurements(
        data_drift, score_drift, estimated, reference_estimate, realized_, enough, labelled_ok
    )


def risk_drift(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    features: list[Feature],
    config: RiskMonitorConfig,
    excluded: tuple[str, ...] = (),
    kind: str = DATA,
    timestamp: datetime | None = None,
    metadata: dict[str, str] | None = None,
) -> DriftResult:
    """Evidently drift of ``features`` (numbers and categories) of ``current`` vs ``reference``."""
    numeric = [f.name for f in features if f.kind == "numeric"]
    tested, untested = tested_columns(reference, current, [f.name for f in features], excluded)
    result = DriftResult(
        kind, False, untested=untested, rows_current=len(current), rows_reference=len(reference)
    )
    if len(current) < config.min_rows:
        result.reason = f"{len(current)} rows, fewer than min_rows={config.min_rows}: not assessed"
        return result
    if not tested:
        result.reason = "no column can be tested"
        return result
    num = [c for c in tested if c in numeric]
    cat = [c for c in tested if c not in numeric]

    def typed(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[tested].copy()
        for c in num:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype("float64")
        for c in cat:
            out[c] = out[c].astype("string").astype(object)
        return out

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

        definition = DataDefinition(numerical_columns=num, categorical_columns=cat)
        report = Report(
            [
                DataDriftPreset(
                    columns=tested,
                    num_method=config.num_method,
                    num_threshold=config.num_threshold,
                    cat_method=config.cat_method,
                    cat_threshold=config.cat_threshold,
                )
            ],
            include_tests=True,
            metadata=dict(metadata or {}),
            tags=[kind],
        )
        snapshot = report.run(
            Dataset.from_pandas(typed(current), data_definition=definition),
            Dataset.from_pandas(typed(reference), data_definition=definition),
            timestamp=timestamp,
        )
    return with_snapshot(result, snapshot)
