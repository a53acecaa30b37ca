"""The decision: each trigger fires exactly when its value reaches its threshold."""

from __future__ import annotations

import math

import pytest

from vigia.monitor.config import MonitorConfig
from vigia.monitor.decision import NOTHING, RETRAIN, WARN, decide
from vigia.monitor.drift import DATA, PREDICTION, DriftResult
from vigia.monitor.performance import PerformanceResult

CONFIG = MonitorConfig()
BACKTEST = 0.9


def drift(share: float | None, kind: str = DATA) -> DriftResult:
    return DriftResult(kind, share is not None, share=share)


def perf(relative: float | None) -> PerformanceResult:
    if relative is None:
        return PerformanceResult(False, "2022-01-01", "2022-03-01", reason="too few")
    return PerformanceResult(True, "2022-01-01", "2022-03-01", overall={"relative_wis": relative})


def action(
    data: float | None = 0.0,
    prediction: float | None = 0.0,
    relative: float | None = 0.5,
    recent: str | None = None,
    rows: int = 84,
) -> str:
    decision = decide(
        drift(data),
        drift(prediction, PREDICTION),
        perf(relative),
        CONFIG,
        BACKTEST,
        rows=rows,
        recent_retrain=recent,
    )
    return decision.action


LIMIT = BACKTEST * (1 + CONFIG.degradation_retrain)


@pytest.mark.parametrize(
    ("name", "threshold", "below", "at"),
    [
        ("data", CONFIG.drift_share_warn, NOTHING, WARN),
        ("data", CONFIG.drift_share_retrain, WARN, RETRAIN),
        ("prediction", CONFIG.prediction_drift_warn, NOTHING, WARN),
        ("relative", CONFIG.relative_wis_warn, NOTHING, WARN),
        ("relative", LIMIT, WARN, RETRAIN),
    ],
)
def test_trigger_fires_exactly_at_its_threshold(
    name: str, threshold: float, below: str, at: str
) -> None:
    assert CONFIG.relative_wis_warn < LIMIT  # the two performance triggers are told apart
    assert action(**{name: math.nextafter(threshold, 0.0)}) == below
    assert action(**{name: threshold}) == at


def test_reasons_name_the_numbers() -> None:
    decision = decide(drift(0.7), drift(0.1, PREDICTION), perf(1.3), CONFIG, BACKTEST, rows=84)
    assert decision.action == RETRAIN
    text = " ".join(decision.reasons)
    assert "share of drifted features 0.700 >= 0.6" in text
    assert "rolling relative WIS" in text and "1.300" in text
    assert {t.name for t in decision.triggers if t.fired} == {
        "data_drift_retrain",
        "relative_wis_warn",
        "degradation_retrain",
    }


def test_cooldown_turns_a_retrain_into_a_warning() -> None:
    assert action(data=0.9, recent="2022-03-06") == WARN


def test_no_data_decides_nothing_and_says_so() -> None:
    decision = decide(drift(None), drift(None, PREDICTION), perf(None), CONFIG, BACKTEST, rows=0)
    assert decision.action == NOTHING and decision.no_data
    assert decision.reasons[0].startswith("no data")


def test_unknown_backtest_has_no_degradation_trigger() -> None:
    decision = decide(drift(0.0), drift(0.0, PREDICTION), perf(5.0), CONFIG, None, rows=84)
    assert decision.action == WARN
    assert any("backtest relative WIS is unknown" in r for r in decision.reasons)
