"""The decision of a monitoring check: nothing, warn or retrain — with every reason.

Each trigger compares one number with one threshold of :class:`MonitorConfig` and fires when
the value is *at or above* it. The decision is the most severe action among the fired triggers
(retrain > warn > nothing). A window without logged forecasts decides nothing and says "no data".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from vigia.monitor.config import MonitorConfig
from vigia.monitor.drift import DriftResult
from vigia.monitor.performance import PerformanceResult

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
