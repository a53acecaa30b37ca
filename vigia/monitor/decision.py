"""The decision of a monitoring check: nothing, warn or retrain — with every reason.

Each trigger compares one number with one threshold of :class:`MonitorConfig` and fires when
the value is *at or above* it. The decision is the most severe action among the fired triggers
(retrain > warn > nothing). A window without logged forecasts decides nothing and says "no data".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd

from vigia.monitor.config import MonitorConfig
from vigia.monitor.drift import DriftResult
from vigia.monitor.performance import PerformanceResult

if TYPE_CHECKING:
    from vigia.monitor.collect import CheckData
    from vigia.monitor.measure import Measurements

NOTHING, WARN, RETRAIN = "nothing", "warn", "retrain"
ACTIONS = (NOTHING, WARN, RETRAIN)


@dataclass
class Trigger:
    """One threshold comparison."""

    name: str
    action: str  # what it asks for when fired
    value: float | None
    threshold: float | None
    fired: bool
    message: str


@dataclass
class MonitorDecision:
    """What the check decided and why."""

    action: str
    no_data: bool
    triggers: list[Trigger] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """The fired triggers' messages (or why nothing fired), then the notes."""
        fired = [t.message for t in self.triggers if t.fired]
        if not fired:
            fired = ["no threshold crossed"] if not self.no_data else []
        return fired + self.notes

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "no_data": self.no_data,
            "reasons": self.reasons,
            "triggers": [asdict(t) for t in self.triggers],
            "notes": self.notes,
        }


def _at_or_above(
    name: str, action: str, value: float | None, threshold: float, what: str
) -> Trigger:
    if value is None:
        return Trigger(name, action, None, threshold, False, f"{what}: not assessed")
    fired = value >= threshold
    sign = ">=" if fired else "<"
    message = f"{what} {value:.3f} {sign} {threshold:.3g}"
    return Trigger(name, action, value, threshold, fired, message)


def decide(
    data_drift: DriftResult,
    prediction_drift: DriftResult,
    performance: PerformanceResult,
    config: MonitorConfig,
    backtest_relative_wis: float | None,
    new_weeks: int | None = None,
    rows: int = 0,
    recent_retrain: str | None = None,
) -> MonitorDecision:
    """Apply the triggers of ``config`` to one check's results.

    Args:
        data_drift: Drift of the logged features vs the training snapshot.
        prediction_drift: Drift of the forecasts vs the model's reference forecasts.
        performance: Rolling scores of past forecasts.
        config: Thresholds.
        backtest_relative_wis: The live model's own backtest relative WIS (None if unknown).
        new_weeks: Weeks of observed data after the model's last training week (None: unknown).
        rows: Logged forecasts in the drift window (0 → "no data").
        recent_retrain: Week of a retraining already attempted for the live version within the
            cooldown: a retrain decision is lowered to a warning (no retraining storm while a
            refused candidate leaves the same model live).
    """
    notes = []
    for result in (data_drift, prediction_drift):
        if not result.assessed and result.reason:
            notes.append(f"{result.kind}: {result.reason}")
    if not performance.assessed and performance.reason:
        notes.append(f"performance: {performance.reason}")
    triggers = [
        _at_or_above(
            "data_drift_retrain",
            RETRAIN,
            data_drift.share,
            config.drift_share_retrain,
            "share of drifted features",
        ),
        _at_or_above(
            "data_drift_warn",
            WARN,
            data_drift.share,
            config.drift_share_warn,
            "share of drifted features",
        ),
        _at_or_above(
            "prediction_drift_warn",
            WARN,
            prediction_drift.share,
            config.prediction_drift_warn,
            "share of drifted forecast summaries",
        ),
        _at_or_above(
            "relative_wis_warn",
            WARN,
            performance.relative_wis,
            config.relative_wis_warn,
            "rolling relative WIS vs persistence",
        ),
    ]
    if backtest_relative_wis is not None:
        limit = backtest_relative_wis * (1.0 + config.degradation_retrain)
        trigger = _at_or_above(
            "degradation_retrain",
            RETRAIN,
            performance.relative_wis,
            limit,
            f"rolling relative WIS vs its backtest {backtest_relative_wis:.3f} "
            f"× (1 + {config.degradation_retrain:g}):",
        )
        triggers.append(trigger)
    else:
        notes.append("the live model's backtest relative WIS is unknown: no degradation trigger")
    if config.new_weeks_retrain > 0 and new_weeks is not None:
        triggers.append(
            _at_or_above(
                "new_data_retrain",
                RETRAIN,
                float(new_weeks),
                float(config.new_weeks_retrain),
                "weeks of new data since the training data",
            )
        )
    # A warning trigger that duplicates a fired retrain trigger on the same number says nothing.
    if any(t.fired and t.name == "data_drift_retrain" for t in triggers):
        triggers = [t for t in triggers if t.name != "data_drift_warn"]
    no_data = rows == 0
    fired = {t.action for t in triggers if t.fired}
    action = RETRAIN if RETRAIN in fired else WARN if WARN in fired else NOTHING
    if action == RETRAIN and recent_retrain is not None:
        action = WARN
        notes.append(
            f"retraining already attempted for this version at {recent_retrain} "
            "(cooldown): warning instead"
        )
    if no_data:
        notes.insert(0, "no data: no logged forecasts of the live version in the window")
    return MonitorDecision(action, no_data, triggers, notes)


@dataclass
class CheckResult:
    """Everything one check found and decided."""

    checked_at: str
    as_of: pd.Timestamp
    model: dict[str, Any]
    window: dict[str, Any]
    data_drift: DriftResult
    prediction_drift: DriftResult
    performance: PerformanceResult
    decision: MonitorDecision
    config: dict[str, Any] = field(default_factory=dict)
    last_prediction_ts: str | None = None

    @property
    def name(self) -> str:
        """A name for this check's report folder: the week checked and the time of the check."""
        stamp = self.checked_at.replace(":", "").replace("-", "")[:15]
        return f"{self.as_of:%Y-%m-%d}_{stamp}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "checked_at": self.checked_at,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "model": self.model,
            "window": self.window,
            "data_drift": self.data_drift.to_dict(),
            "prediction_drift": self.prediction_drift.to_dict(),
            "performance": self.performance.to_dict(),
            "decision": self.decision.to_dict(),
            "config": self.config,
            "last_prediction_ts": self.last_prediction_ts,
        }

    def status(self) -> dict[str, Any]:
        """The short document the dashboard and the Prometheus export read."""
        overall = self.performance.overall if self.performance.assessed else {}
        last_ts = None
        if self.last_prediction_ts:
            last_ts = datetime.fromisoformat(self.last_prediction_ts).timestamp()
        return {
            "checked_at": self.checked_at,
            "checked_at_ts": datetime.fromisoformat(self.checked_at).timestamp(),
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "model": self.model["name"],
            "live_version": self.model["version"],
            "live_version_source": self.model.get("version_source"),
            "pointer_version": self.model.get("pointer_version"),
            "decision": self.decision.action,
            "no_data": self.decision.no_data,
            "reasons": self.decision.reasons,
            "drift_share": self.data_drift.share,
            "drifted_features": self.data_drift.drifted,
            "prediction_drift_share": self.prediction_drift.share,
            "rolling_relative_wis": overall.get("relative_wis"),
            "coverage_90": overall.get("coverage_90"),
            "wis": overall.get("wis"),
            "scored": self.performance.scored,
            "backtest_relative_wis": self.model.get("backtest_relative_wis"),
            "rows": self.window["rows"],
            "skipped_lines": self.window["skipped_lines"],
            "last_prediction_ts": last_ts,
        }


def conclude(data: CheckData, measured: Measurements, config: MonitorConfig) -> CheckResult:
    """Step 3 of a monitoring check: the decision (:func:`decide`) and the check's full result
    from what was collected and measured."""
    data_drift = measured.data_drift
    prediction_drift = measured.prediction_drift
    performance = measured.performance
    window = data.window(config.weeks)
    last_week = data.model.last_week
    new_weeks = None if last_week is None else int((data.as_of - last_week).days // 7)
    decision = decide(
        data_drift,
        prediction_drift,
        performance,
        config,
        data.model.backtest_relative_wis,
        new_weeks=new_weeks,
        rows=len(window),
        recent_retrain=data.recent_retrain,
    )
    start = data.as_of - pd.Timedelta(weeks=config.weeks)
    return CheckResult(
        checked_at=datetime.now(UTC).isoformat(timespec="seconds"),
        as_of=data.as_of,
        model=data.model.to_dict(),
        window={
            "start": f"{start:%Y-%m-%d}",
            "end": f"{data.as_of:%Y-%m-%d}",
            "rows": len(window),
            "regions": int(window.inputs["region"].nunique()) if len(window) else 0,
            "requests": data.logged.requests,
            "logged_rows": len(data.logged),
            "skipped_lines": data.logged.skipped_lines,
            "skipped_rows": data.logged.skipped_rows,
            "other_versions": data.logged.other_versions,
            "new_weeks": new_weeks,
        },
        data_drift=data_drift,
        prediction_drift=prediction_drift,
        performance=performance,
        decision=decision,
        config=config.to_dict(),
        last_prediction_ts=data.last_prediction_ts,
    )
