"""One monitoring check of a risk classifier: what it was asked, how that compares with its
training snapshot, how well it is doing before and after the labels arrive, and the decision.

- **Window**: the live version's logged requests with ``start <= ts < end`` (payload-log time:
  a risk row has no data time of its own); default the ``days`` before the newest record.
- **Data drift** (Evidently): every feature of the model against the training snapshot (the
  calibration hold-out logged with the version, :mod:`vigia.risk.snapshot`), numbers and
  categories each with their own method.
- **Score drift**: the calibrated probability against the snapshot's.
- **Estimated performance** (:mod:`vigia.monitor.cbpe`): expected ROC-AUC, Brier, positive rate
  from the scores alone, beside the same estimate on the snapshot and the model's test ROC-AUC.
- **Realized performance**: where labels have arrived (``request_id``, ``row``, ``label``: the
  client joins outcomes to the request ids it got answers for; Vigía never stores who a row was).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.errors import NotFoundError, VigiaError
from vigia.monitor.cbpe import EstimatedPerformance, RealizedPerformance, estimate, realized
from vigia.monitor.check import MonitorPaths
from vigia.monitor.decision import NOTHING, RETRAIN, WARN, MonitorDecision, _at_or_above
from vigia.monitor.drift import DATA, PREDICTION, DriftResult, parse_drift_snapshot
from vigia.monitor.reference import LiveModel, live_model, reference_file
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.payloads import read_payloads
from vigia.risk.snapshot import HOLDOUT, PROBABILITY
from vigia.risk.task import Feature

ROW = "__row__"  # position of the row in its request
REQUEST = "__request_id__"
TS = "__ts__"
LABEL_COLUMNS = ("request_id", "row", "label")


# --- what was served --------------------------------------------------------------------------
@dataclass
class LoggedScores:
    """The live version's logged rows in a window: features, probability, request id, row."""

    rows: pd.DataFrame
    requests: int
    skipped_lines: int
    other_versions: int
    last_ts: str | None


def logged_scores(
    payload_root: Path,
    model: str,
    version: int,
    features: list[Feature],
    start: datetime | None = None,
    end: datetime | None = None,
) -> LoggedScores:
    """Read ``model``'s payload log: one row per scored row of ``version`` in ``[start, end)``."""
    records, skipped = read_payloads(payload_root / model, start, end)
    names = [f.name for f in features]
    rows: list[dict[str, Any]] = []
    requests = other = 0
    for record in records:
        if record.get("version") != version or record.get("kind") != "classifier":
            other += 1
            continue
        requests += 1
        for i, (inputs, outputs) in enumerate(
            zip(record.get("inputs") or [], record.get("outputs") or [], strict=False)
        ):
            probability = outputs.get("probability") if isinstance(outputs, dict) else None
            if not isinstance(inputs, dict) or not isinstance(probability, int | float):
                continue
            row = {n: inputs.get(n) for n in names}
            row.update({PROBABILITY: float(probability), REQUEST: record.get("request_id"),
                        ROW: i, TS: record["ts"]})  # fmt: skip
            rows.append(row)
    frame = pd.DataFrame(rows, columns=[*names, PROBABILITY, REQUEST, ROW, TS])
    return LoggedScores(
        frame, requests, skipped, other, str(records[-1]["ts"]) if records else None
    )


def read_labels(path: str | Path) -> pd.DataFrame:
    """Outcomes that have arrived: a CSV with ``request_id``, ``row`` (position in the request,
    from 0) and ``label`` (1/0, true/false, yes/no).

    Raises:
        VigiaError: The file cannot be read or lacks a column or holds a bad value (one line).
    """
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise VigiaError(f"labels {path}: cannot read it as CSV ({exc})") from None
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise VigiaError(f"labels {path}: missing column(s) {', '.join(missing)}")
    truth = {"1": 1, "0": 0, "true": 1, "false": 0, "yes": 1, "no": 0}
    label = frame["label"].str.strip().str.lower().map(truth)
    row = pd.to_numeric(frame["row"], errors="coerce")
    bad = frame.index[label.isna() | row.isna()]
    if len(bad):
        line = int(bad[0]) + 2
        raise VigiaError(
            f"labels {path}: line {line}: label must be 1/0 (true/false, yes/no) and row a "
            f"whole number, got label={frame['label'].iloc[bad[0]]!r} "
            f"row={frame['row'].iloc[bad[0]]!r}"
        )
    return pd.DataFrame(
        {
            "request_id": frame["request_id"],
            "row": row.astype("int64"),
            "label": label.astype("int64"),
        }
    )


def join_labels(rows: pd.DataFrame, labels: pd.DataFrame | None) -> pd.DataFrame:
    """The logged rows whose label has arrived, with a ``label`` column."""
    if labels is None or labels.empty or rows.empty:
        return rows.iloc[:0].assign(label=pd.Series(dtype="int64"))
    keyed = labels.drop_duplicates(["request_id", "row"], keep="last").rename(
        columns={"request_id": REQUEST, "row": ROW}
    )
    return rows.merge(keyed, on=[REQUEST, ROW], how="inner")


# --- drift --------------------------------------------------------------------------------------
def _tested(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], excluded: tuple[str, ...]
) -> tuple[list[str], dict[str, str]]:
    tested, untested = [], {}
    for column in columns:
        if column in excluded:
            untested[column] = "excluded in the monitoring config"
        elif column not in reference.columns:
            untested[column] = "not in the training snapshot"
        elif reference[column].notna().sum() < 2 or current[column].notna().sum() < 1:
            untested[column] = "no values"
        elif reference[column].nunique(dropna=True) < 2:
            untested[column] = "constant in the training snapshot"
        else:
            tested.append(column)
    return tested, untested


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
    tested, untested = _tested(reference, current, [f.name for f in features], excluded)
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
    share, per_column = parse_drift_snapshot(snapshot.dict())
    result.assessed = True
    result.share = share
    result.columns = per_column
    result.drifted = [c for c, v in per_column.items() if v["drifted"]]
    result.snapshot = snapshot
    return result


# --- the check ------------------------------------------------------------------------------------
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


def _utc(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


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
    """Check the live version of the classifier ``model_name`` over ``[start, end)``.

    Defaults: ``end`` just after the newest logged record, ``start`` ``config.days`` before it.
    ``snapshot_time`` dates the Evidently snapshots (default: ``end``; the replay gives the
    replayed week, so the Evidently dashboard reads as a timeline of weeks).

    Raises:
        NotFoundError: No live version, or it is not a classifier, or it has no snapshot.
    """
    model = live_model(paths.store_root, paths.tracking_uri, model_name, paths.serving_url)
    if model.manifest.get("kind") != "classifier":
        raise NotFoundError(
            f"{model_name} is a {model.manifest.get('kind')!r} model, not a risk classifier"
        )
    features = [Feature(**f) for f in model.manifest["features"]]
    threshold = float(model.manifest["threshold"])
    hi, lo = _utc(end), _utc(start)
    if hi is None:
        newest = logged_scores(paths.payload_root, model_name, model.version, features, lo).last_ts
        last = _utc(newest)
        hi = last + timedelta(microseconds=1) if last is not None else datetime.now(UTC)
    lo = lo or hi - timedelta(days=config.days)
    if lo >= hi:
        raise VigiaError(f"the window start {lo:%Y-%m-%d %H:%M} is not before its end")
    logged = logged_scores(paths.payload_root, model_name, model.version, features, lo, hi)
    snapshot = pd.read_parquet(
        reference_file(model, paths.tracking_uri, paths.cache, "snapshot.parquet")
    )
    current = logged.rows
    meta = {"model": model_name, "version": str(model.version)}
    excluded = config.excluded(model_name)
    stamp = snapshot_time or hi
    data_drift = risk_drift(snapshot, current, features, config, excluded, DATA, stamp, meta)
    scored = snapshot[snapshot[HOLDOUT]] if HOLDOUT in snapshot else snapshot
    score = Feature(PROBABILITY, "numeric")
    score_drift = risk_drift(scored, current, [score], config, (), PREDICTION, stamp, meta)
    enough = len(current) >= config.min_rows
    estimated = estimate(current[PROBABILITY].to_numpy(), threshold) if enough else None
    reference_estimate = (
        estimate(scored[PROBABILITY].to_numpy(), threshold) if len(scored) else None
    )
    joined = join_labels(current, labels)
    y = joined["label"].to_numpy(dtype="int64")
    labelled_ok = len(y) >= config.min_labelled and min(y.sum(), len(y) - y.sum()) >= 10
    realized_ = realized(y, joined[PROBABILITY].to_numpy(), threshold) if labelled_ok else None
    test_auc = model.metrics.get("roc_auc")
    test_auc = float(test_auc) if test_auc is not None and math.isfinite(test_auc) else None
    decision = decide_risk(data_drift, score_drift, estimated, realized_, test_auc, config,
                           len(current), recent_retrain)  # fmt: skip
    if not enough and len(current):
        decision.notes.append(
            f"performance estimate: {len(current)} rows, fewer than min_rows={config.min_rows}"
        )
    if len(y) and not labelled_ok:
        decision.notes.append(
            f"realized metrics: {len(y)} labelled rows, fewer than min_labelled="
            f"{config.min_labelled} or under 10 of a class: not assessed"
        )
    check = RiskCheck(
        model={
            **model.to_dict(),
            "threshold": threshold,
            "test_roc_auc": test_auc,
            "method": model.manifest.get("method"),
        },
        window={
            "start": lo.isoformat(timespec="seconds"),
            "end": hi.isoformat(timespec="seconds"),
        },
        rows=len(current),
        requests=logged.requests,
        skipped_lines=logged.skipped_lines,
        last_prediction_ts=logged.last_ts,
        data_drift=data_drift,
        score_drift=score_drift,
        estimated=estimated,
        reference_estimate=reference_estimate,
        realized=realized_,
        labelled=len(y),
        decision=decision,
        config=config.to_dict(),
        snapshot_time=stamp.isoformat(),
    )
    return check, model
