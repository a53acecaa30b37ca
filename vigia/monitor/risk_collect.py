"""Step 1 of a risk model's monitoring check: collect what it looks at — the live version, its
logged rows in the window (payload-log time: a risk row has no data time of its own), its
training snapshot and the labels that have arrived (``request_id``, ``row``, ``label``: the
client joins outcomes to the request ids it got answers for; Vigía never stores who a row was).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.errors import NotFoundError, VigiaError
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.reference import LiveModel, live_model, reference_file
from vigia.monitor.risk_config import RiskMonitorConfig
from vigia.payloads import hashed_id
from vigia.risk.snapshot import PROBABILITY
from vigia.risk.task import Feature
from vigia.servables.events import read_logged

ROW = "__row__"  # position of the row in its request
REQUEST = "__request_id__"
TS = "__ts__"
LABEL_COLUMNS = ("request_id", "row", "label")


@dataclass
class LoggedScores:
    """The live version's logged rows in a window: features, probability, request id, row."""

    rows: pd.DataFrame
    requests: int
    skipped_lines: int
    other_versions: int
    last_ts: str | None


def logged_scores(
    paths: MonitorPaths,
    model: str,
    version: int,
    features: list[Feature],
    start: datetime | None = None,
    end: datetime | None = None,
) -> LoggedScores:
    """Read ``model``'s payload log (records, and halves paired at read time): one row per
    scored row of ``version`` in ``[start, end)``."""
    records, skipped = read_logged(paths.payload_root / model, paths.store_root, start, end)
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
    """The logged rows whose label has arrived, with a ``label`` column. The client's request
    ids are hashed as the payload log stores them (:func:`vigia.payloads.hashed_id`)."""
    if labels is None or labels.empty or rows.empty:
        return rows.iloc[:0].assign(label=pd.Series(dtype="int64"))
    keyed = labels.assign(request_id=labels["request_id"].astype(str).map(hashed_id))
    keyed = keyed.drop_duplicates(["request_id", "row"], keep="last").rename(
        columns={"request_id": REQUEST, "row": ROW}
    )
    return rows.merge(keyed, on=[REQUEST, ROW], how="inner")


@dataclass
class RiskData:
    """What a risk check looks at (:func:`collect_risk`)."""

    model: LiveModel
    features: list[Feature]
    threshold: float
    start: datetime
    end: datetime
    logged: LoggedScores  # the window's logged rows
    snapshot: pd.DataFrame  # the training snapshot
    labelled: pd.DataFrame  # logged rows whose label has arrived, with ``label``
    stamp: datetime  # the time the Evidently snapshots carry
    recent_retrain: str | None = None


def _utc(value: str | datetime | None) -> datetime | None:
    if value is None:
        return None
    stamp = pd.Timestamp(value)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")
    return stamp.to_pydatetime()


def collect_risk(
    paths: MonitorPaths,
    model_name: str,
    config: RiskMonitorConfig,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
    labels: pd.DataFrame | None = None,
    recent_retrain: str | None = None,
    snapshot_time: datetime | None = None,
) -> RiskData:
    """Step 1 of a risk check: the live version of the classifier ``model_name``, its logged
    rows over ``[start, end)``, its training snapshot and the labels that have arrived.

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
        newest = logged_scores(paths, model_name, model.version, features, lo).last_ts
        last = _utc(newest)
        hi = last + timedelta(microseconds=1) if last is not None else datetime.now(UTC)
    lo = lo or hi - timedelta(days=config.days)
    if lo >= hi:
        raise VigiaError(f"the window start {lo:%Y-%m-%d %H:%M} is not before its end")
    logged = logged_scores(paths, model_name, model.version, features, lo, hi)
    snapshot = pd.read_parquet(
        reference_file(model, paths.tracking_uri, paths.cache, "snapshot.parquet")
    )
    labelled = join_labels(logged.rows, labels)
    stamp = snapshot_time or hi
    return RiskData(
        model, features, threshold, lo, hi, logged, snapshot, labelled, stamp, recent_retrain
    )
