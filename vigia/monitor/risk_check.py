"""Step 3 of a risk model's monitoring check: decide — nothing, warn or retrain, with every
reason — and the check's result. Steps 1 and 2: :mod:`vigia.monitor.risk_collect`,
:mod:`vigia.monitor.risk_measure`; writing it out: :mod:`vigia.monitor.risk_publish`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pandas as pd

from vigia.monitor.cbpe import EstimatedPerformance, RealizedPerformance
from vigia.monitor.decision import NOTHING, RETRAIN, WARN, MonitorDecision, _at_or_above
from vigia.monitor.drift import DriftResult
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.reference import LiveModel
from vigia.monitor.risk_collect import RiskData, collect_risk
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.monitor.risk_measure import RiskMeasurements, measure_risk


@dataclass
class RiskCheck:
    """The outcome of one risk check (see the module docstring)."""

    model: dict[str, Any]
    window: dict[str, str]
    rows: int
    requests: int
    skipped_lines: int
    last_prediction_ts: str | None
    data_drift: DriftResult
    score_drift: DriftResult
    estimated: EstimatedPerformance | None
    reference_estimate: EstimatedPerformance | None
    realized: RealizedPerformance | None
    labelled: int
    decision: MonitorDecision
    config: dict[str, Any]
    snapshot_time: str | None = None
    checked_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    @property
    def name(self) -> str:
        """Folder name of the check's reports: the window's end and the check time."""
        end = pd.Timestamp(self.window["end"])
        return f"{end:%Y-%m-%dT%H%M%S}_{pd.Timestamp(self.checked_at):%H%M%S}"

    def status(self) -> dict[str, Any]:
        """The short summary (status.json, Prometheus, history)."""
        est, real = self.estimated, self.realized
        last_ts = None
        if self.last_prediction_ts:
            last_ts = datetime.fromisoformat(self.last_prediction_ts).timestamp()
        return {
            "checked_at": self.checked_at,
            "checked_at_ts": datetime.fromisoformat(self.checked_at).timestamp(),
            "as_of": self.window["end"],
            "window_start": self.window["start"],
            "model": self.model["name"],
            "kind": "classifier",
            "live_version": self.model["version"],
            "decision": self.decision.action,
            "no_data": self.decision.no_data,
            "reasons": self.decision.reasons,
            "drift_share": self.data_drift.share,
            "drifted_features": self.data_drift.drifted,
            "score_drift": None
            if not self.score_drift.assessed
            else bool(self.score_drift.drifted),
            "estimated_roc_auc": est.roc_auc if est else None,
            "estimated_brier": est.brier if est else None,
            "expected_positive_rate": est.positive_rate if est else None,
            "reference_estimated_roc_auc": self.reference_estimate.roc_auc
            if self.reference_estimate
            else None,
            "test_roc_auc": self.model.get("test_roc_auc"),
            "realized_roc_auc": real.roc_auc if real else None,
            "realized_brier": real.brier if real else None,
            "realized_ece": real.ece if real else None,
            "observed_positive_rate": real.positive_rate if real else None,
            "labelled": self.labelled,
            "rows": self.rows,
            "requests": self.requests,
            "skipped_lines": self.skipped_lines,
            "last_prediction_ts": last_ts,
            "score_drifted": None
            if self.score_drift.share is None
            else float(self.score_drift.share),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.status(),
            "window": self.window,
            "model": self.model,
            "data_drift": self.data_drift.to_dict(),
            "score_drift": self.score_drift.to_dict(),
            "estimated": self.estimated.to_dict() if self.estimated else None,
            "reference_estimate": self.reference_estimate.to_dict()
            if self.reference_estimate
            else None,
            "realized": self.realized.to_dict() if self.realized else None,
            "decision": self.decision.to_dict(),
            "config": self.config,
        }


def decide_risk(
    data_drift: DriftResult,
    score_drift: DriftResult,
    estimated: EstimatedPerformance | None,
    realized_: RealizedPerformance | None,
    test_roc_auc: float | None,
    config: RiskMonitorConfig,
    rows: int,
    recent_retrain: str | None = None,
) -> MonitorDecision:
    """Apply the triggers of ``config`` (each fires at or above its threshold)."""
    notes = [f"{r.kind}: {r.reason}" for r in (data_drift, score_drift) if r.reason]

    def drop(value: float | None) -> float | None:
        if value is None or test_roc_auc is None:
            return None
        return test_roc_auc - value

    score_drifted = None if not score_drift.assessed else float(bool(score_drift.drifted))
    triggers = [
        _at_or_above("data_drift_retrain", RETRAIN, data_drift.share, config.drift_share_retrain,
                     "share of drifted features"),
        _at_or_above("data_drift_warn", WARN, data_drift.share, config.drift_share_warn,
                     "share of drifted features"),
        _at_or_above("drifted_features_warn", WARN,
                     float(len(data_drift.drifted)) if data_drift.assessed else None,
                     config.drifted_features_warn,
                     "drifted features"
                     + (f" ({', '.join(data_drift.drifted[:5])})" if data_drift.drifted else "")),
        _at_or_above("realized_auc_retrain", RETRAIN,
                     drop(realized_.roc_auc if realized_ else None),
                     config.realized_auc_drop_retrain,
                     "realized ROC-AUC below the model's test ROC-AUC by"),
        _at_or_above("estimated_auc_warn", WARN, drop(estimated.roc_auc if estimated else None),
                     config.estimated_auc_drop_warn,
                     "estimated (CBPE) ROC-AUC below the model's test ROC-AUC by"),
        _at_or_above("realized_ece_warn", WARN, realized_.ece if realized_ else None,
                     config.realized_ece_warn, "realized calibration error (ECE)"),
    ]  # fmt: skip
    if config.score_drift_warn:
        triggers.append(
            _at_or_above("score_drift_warn", WARN, score_drifted, 1.0,
                         "score distribution drifted from the training snapshot (1 = yes):")
        )  # fmt: skip
    fired = {t.action for t in triggers if t.fired}
    action = RETRAIN if RETRAIN in fired else WARN if WARN in fired else NOTHING
    if action == RETRAIN and recent_retrain:
        action = WARN
        notes.append(f"retraining already attempted for this version at {recent_retrain}: warn")
    if rows == 0:
        return MonitorDecision(NOTHING, True, triggers, ["no data: no requests in the window"])
    return MonitorDecision(action, False, triggers, notes)


def conclude_risk(
    data: RiskData, measured: RiskMeasurements, config: RiskMonitorConfig
) -> RiskCheck:
    """Step 3 of a risk check: the decision (:func:`decide_risk`) and the check's result."""
    current = data.logged.rows
    labelled = len(data.labelled)
    test_auc = data.model.metrics.get("roc_auc")
    test_auc = float(test_auc) if test_auc is not None and math.isfinite(test_auc) else None
    decision = decide_risk(measured.data_drift, measured.score_drift, measured.estimated,
                           measured.realized, test_auc, config, len(current),
                           data.recent_retrain)  # fmt: skip
    if not measured.enough_rows and len(current):
        decision.notes.append(
            f"performance estimate: {len(current)} rows, fewer than min_rows={config.min_rows}"
        )
    if labelled and not measured.enough_labels:
        decision.notes.append(
            f"realized metrics: {labelled} labelled rows, fewer than min_labelled="
            f"{config.min_labelled} or under 10 of a class: not assessed"
        )
    return RiskCheck(
        model={
            **data.model.to_dict(),
            "threshold": data.threshold,
            "test_roc_auc": test_auc,
            "method": data.model.manifest.get("method"),
        },
        window={
            "start": data.start.isoformat(timespec="seconds"),
            "end": data.end.isoformat(timespec="seconds"),
        },
        rows=len(current),
        requests=data.logged.requests,
        skipped_lines=data.logged.skipped_lines,
        last_prediction_ts=data.logged.last_ts,
        data_drift=measured.data_drift,
        score_drift=measured.score_drift,
        estimated=measured.estimated,
        reference_estimate=measured.reference_estimate,
        realized=measured.realized,
        labelled=labelled,
        decision=decision,
        config=config.to_dict(),
        snapshot_time=data.stamp.isoformat(),
    )


def check_risk_model(
    paths: MonitorPaths,
    model_name: str,
    config: RiskMonitorConfig,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    labels: pd.DataFrame | None = None,
    recent_retrain: str | None = None,
    snapshot_time: datetime | None = None,
) -> tuple[RiskCheck, LiveModel]:
    """Check the live version of ``model_name`` over ``[start, end)``: collect → measure →
    decide (see :func:`vigia.monitor.risk_collect.collect_risk` for the arguments)."""
    data = collect_risk(
        paths, model_name, config, start, end, labels, recent_retrain, snapshot_time
    )
    return conclude_risk(data, measure_risk(data, config), config), data.model
