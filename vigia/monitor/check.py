"""One monitoring check: collect the window, test drift, score past forecasts, decide.

``collect`` gathers what a check looks at (the live version, its logged forecasts, its reference
data); ``evaluate`` computes drift, performance and the decision from it. Both are what the KFP
components of the monitoring pipeline call one step at a time, and what ``vigia monitor run`` and
``vigia replay`` call in one process. Writing the results out is :mod:`vigia.monitor.publish`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.monitor.config import MonitorConfig
from vigia.monitor.decision import MonitorDecision, decide
from vigia.monitor.drift import DATA, PREDICTION, DriftResult, drift_check, prediction_frame
from vigia.monitor.performance import PerformanceResult, score_logged
from vigia.monitor.reference import (
    LiveModel,
    live_model,
    reference_features,
    reference_predictions,
)
from vigia.monitor.window import KEYS, LoggedForecasts, logged_forecasts
from vigia.workspace import Workspace


@dataclass(frozen=True)
class MonitorPaths:
    """Where a check reads and writes (a workspace locally, mounted buckets on a cluster)."""

    store_root: Path
    tracking_uri: str
    payload_root: Path
    reports_root: Path  # <workspace>/reports/monitoring
    serving_url: str = ""  # a predictor to ask for the served version (V2 metadata)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> MonitorPaths:
        return cls(
            workspace.models,
            workspace.tracking_uri,
            workspace.payload_logs,
            workspace.reports / "monitoring",
        )

    @property
    def evidently(self) -> Path:
        return self.reports_root / "evidently"

    @property
    def cache(self) -> Path:
        return self.reports_root / "reference"

    @property
    def status(self) -> Path:
        return self.reports_root / "status.json"

    @property
    def metrics(self) -> Path:
        return self.reports_root / "metrics.prom"

    @property
    def history(self) -> Path:
        return self.reports_root / "history.jsonl"


@dataclass
class CheckData:
    """What a check looks at."""

    model: LiveModel
    logged: LoggedForecasts  # every logged forecast of the live version
    as_of: pd.Timestamp
    reference: pd.DataFrame  # training feature table
    reference_predictions: LoggedForecasts
    last_prediction_ts: str | None = None

    def window(self, weeks: int) -> LoggedForecasts:
        """The logged forecasts with origins in ``(as_of - weeks, as_of]``."""
        return self.logged.between(self.as_of - pd.Timedelta(weeks=weeks), self.as_of)

    # --- a folder (the collect step's output artifact) -----------------------------------------
    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.logged.save(folder / "logged.parquet")
        self.reference.to_parquet(folder / "reference.parquet", index=False)
        self.reference_predictions.save(folder / "reference_predictions.parquet")
        context = {
            "model": {**self.model.to_dict(), "bundle_dir": str(self.model.bundle_dir)},
            "manifest": self.model.manifest,
            "metrics": self.model.metrics,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "last_prediction_ts": self.last_prediction_ts,
            "counters": {
                "skipped_lines": self.logged.skipped_lines,
                "skipped_rows": self.logged.skipped_rows,
                "other_versions": self.logged.other_versions,
                "requests": self.logged.requests,
            },
        }
        (folder / "context.json").write_text(json.dumps(context, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> CheckData:
        context = json.loads((folder / "context.json").read_text(encoding="utf-8"))
        described = context["model"]
        model = LiveModel(
            described["name"],
            int(described["version"]),
            described["run_id"],
            Path(described["bundle_dir"]),
            context["manifest"],
            context["metrics"],
        )
        logged = LoggedForecasts.load(folder / "logged.parquet")
        for key, value in context["counters"].items():
            setattr(logged, key, int(value))
        reference = pd.read_parquet(folder / "reference.parquet")
        reference["origin"] = pd.to_datetime(reference["origin"]).astype("datetime64[ns]")
        return cls(
            model,
            logged,
            pd.Timestamp(context["as_of"]),
            reference,
            LoggedForecasts.load(folder / "reference_predictions.parquet"),
            context["last_prediction_ts"],
        )


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


def check_timestamp(as_of: pd.Timestamp) -> datetime:
    """The time an Evidently snapshot of a check carries: the week checked (data time), so the
    UI's history lines up with the epidemiological weeks, in a replay as in live use."""
    return datetime(as_of.year, as_of.month, as_of.day)


def collect(
    paths: MonitorPaths,
    model_name: str,
    config: MonitorConfig,
    as_of: str | pd.Timestamp | None = None,
    since: str | datetime | None = None,
) -> CheckData:
    """Gather a check's data: the live version, its logged forecasts and its references.

    Args:
        paths: Store, registry, payload log and reports locations.
        model_name: Registered model name (e.g. ``dengue-forecast``).
        config: Thresholds (the reference prediction weeks).
        as_of: The last week the check covers (default: the newest logged origin of the live
            version; with none logged, its last training week).
        since: Read only payload records logged at or after this time (default: all).
    """
    from vigia.payloads import read_payloads

    model = live_model(paths.store_root, paths.tracking_uri, model_name, paths.serving_url)
    records, skipped = read_payloads(paths.payload_root / model_name, start=since)
    logged = logged_forecasts(records, version=model.version, skipped_lines=skipped)
    ours = [r for r in records if int(r.get("version", -1)) == model.version]
    last_ts = str(ours[-1]["ts"]) if ours else None
    if as_of is not None:
        chosen = pd.Timestamp(as_of)
    elif logged.last_origin is not None:
        chosen = logged.last_origin
    else:
        chosen = model.last_week or pd.Timestamp(datetime.now(UTC).date())
    reference = reference_features(model, paths.tracking_uri, paths.cache)
    predictions = reference_predictions(model, config.reference_prediction_weeks, paths.cache)
    return CheckData(model, logged, chosen, reference, predictions, last_ts)


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


def evaluate(
    data: CheckData,
    actuals: pd.DataFrame,
    config: MonitorConfig,
    recent_retrain: str | None = None,
) -> CheckResult:
    """Drift, performance and the decision for the data of one check.

    Args:
        data: From :func:`collect`.
        actuals: Observed weekly counts (a panel); weeks after ``data.as_of`` are ignored.
        config: Thresholds.
        recent_retrain: The week of a retraining already attempted for this live version within
            the cooldown (a retrain decision becomes a warning), or None.
    """
    timestamp = check_timestamp(data.as_of)
    metadata = {"model": data.model.name, "version": str(data.model.version)}
    return conclude(
        data,
        config,
        data_drift_of(data, config, timestamp, metadata),
        prediction_drift_of(data, config, timestamp, metadata),
        score_logged(data.logged, actuals, data.as_of, config.performance_weeks, config.min_scored),
        recent_retrain,
    )


def conclude(
    data: CheckData,
    config: MonitorConfig,
    data_drift: DriftResult,
    prediction_drift: DriftResult,
    performance: PerformanceResult,
    recent_retrain: str | None = None,
) -> CheckResult:
    """The decision and the full result from the parts of a check (see :func:`evaluate`)."""
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
        recent_retrain=recent_retrain,
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
