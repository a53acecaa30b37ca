"""Data drift and prediction drift with Evidently 0.7.

*Data drift*: the features the live model saw in the current window against its training
feature table. *Prediction drift*: what the model says now against what it said about its own
last training year — the forecast growth ``log1p(median_h) − log1p(last_cases)`` and the 90 %
interval width ``log1p(q95_h) − log1p(q05_h)`` per horizon.

Each check is an Evidently ``Report([DataDriftPreset(...)], include_tests=True)`` over the
tested columns, declared numerical (so low-cardinality features are not mistaken for
categories). ``import evidently`` takes seconds: it happens inside :func:`drift_check` only, never
in serving or at CLI start-up.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.monitor.config import MonitorConfig
from vigia.monitor.window import LoggedForecasts

DATA = "data-drift"
PREDICTION = "prediction-drift"


@dataclass
class DriftResult:
    """The outcome of one drift check.

    Attributes:
        kind: ``data-drift`` or ``prediction-drift``.
        assessed: False when there was too little data (``reason`` says why).
        share: Share of tested columns that drifted (Evidently's ``DriftedColumnsCount``).
        drifted: Names of the drifted columns.
        columns: Per column: ``score``, ``threshold``, ``method``, ``drifted``.
        untested: Columns left out, with the reason.
        snapshot: The Evidently snapshot (not serialised by :meth:`to_dict`).
    """

    kind: str
    assessed: bool
    reason: str = ""
    share: float | None = None
    drifted: list[str] = field(default_factory=list)
    columns: dict[str, dict[str, Any]] = field(default_factory=dict)
    untested: dict[str, str] = field(default_factory=dict)
    rows_current: int = 0
    rows_reference: int = 0
    snapshot: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "assessed": self.assessed,
            "reason": self.reason,
            "share": self.share,
            "drifted": self.drifted,
            "columns": self.columns,
            "untested": self.untested,
            "rows_current": self.rows_current,
            "rows_reference": self.rows_reference,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DriftResult:
        return cls(**{k: v for k, v in data.items() if k != "snapshot"})

    def save(self, folder: Path) -> None:
        """``<kind>.json`` and, if there is one, the Evidently snapshot ``<kind>.snapshot.json``."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{self.kind}.json").write_text(json.dumps(self.to_dict()), encoding="utf-8")
        if self.snapshot is not None:
            (folder / f"{self.kind}.snapshot.json").write_text(
                self.snapshot.dumps(), encoding="utf-8"
            )

    @classmethod
    def load(cls, folder: Path, kind: str) -> DriftResult:
        """What :meth:`save` wrote (the snapshot loaded back with Evidently if present)."""
        result = cls.from_dict(json.loads((folder / f"{kind}.json").read_text(encoding="utf-8")))
        snapshot = folder / f"{kind}.snapshot.json"
        if snapshot.exists():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                from evidently.core.report import Snapshot

                result.snapshot = Snapshot.load(str(snapshot))
        return result


def prediction_frame(logged: LoggedForecasts) -> pd.DataFrame:
    """Per row: forecast growth and 90 % interval width (log scale) for each horizon."""
    values = np.log1p(np.clip(logged.values, 0.0, None))
    levels = np.asarray(logged.levels)
    median = int(np.argmin(np.abs(levels - 0.5)))
    low, high = int(np.argmin(np.abs(levels - 0.05))), int(np.argmin(np.abs(levels - 0.95)))
    last = np.log1p(np.clip(logged.inputs["last_cases"].to_numpy(dtype="float64"), 0.0, None))
    out = {}
    for j, h in enumerate(logged.horizons):
        out[f"growth_h{h}"] = values[:, j, median] - last
    for j, h in enumerate(logged.horizons):
        out[f"width90_h{h}"] = values[:, j, high] - values[:, j, low]
    return pd.DataFrame(out)


def tested_columns(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    candidates: list[str],
    excluded: Collection[str] = (),
) -> tuple[list[str], dict[str, str]]:
    """The columns a drift check can test, and why the others are left out (numbers and
    categories alike: a column is constant when it has fewer than two distinct values)."""
    tested, untested = [], {}
    for column in candidates:
        if column in excluded:
            untested[column] = "excluded in the monitoring config"
        elif column not in reference.columns:
            untested[column] = "not in the reference data"
        elif column not in current.columns:
            untested[column] = "not in the logged inputs"
        elif reference[column].notna().sum() < 2 or current[column].notna().sum() < 1:
            untested[column] = "no values"
        elif reference[column].nunique(dropna=True) < 2:
            untested[column] = "constant in the reference data"
        else:
            tested.append(column)
    return tested, untested


def drift_check(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    columns: list[str],
    config: MonitorConfig,
    kind: str = DATA,
    timestamp: datetime | None = None,
    metadata: dict[str, str] | None = None,
) -> DriftResult:
    """Test ``columns`` of ``current`` against ``reference`` with Evidently.

    Args:
        reference: Reference rows (training features, or reference predictions).
        current: Current rows (the window's logged inputs, or its predictions).
        columns: Candidate columns; excluded, missing, empty or constant ones are left out.
        config: Method, per-column threshold, minimum rows.
        kind: ``data-drift`` or ``prediction-drift`` (also the Evidently snapshot's tag).
        timestamp: The snapshot's time (the check's ``as_of``), for the Evidently UI timeline.
        metadata: Snapshot metadata (model, version, window).

    Returns:
        A :class:`DriftResult`; ``assessed`` is False with a reason when ``current`` has fewer
        than ``config.min_rows`` rows or no column can be tested.
    """
    tested, untested = tested_columns(reference, current, columns, config.exclude)
    result = DriftResult(
        kind, False, untested=untested, rows_current=len(current), rows_reference=len(reference)
    )
    if len(current) < config.min_rows:
        result.reason = (
            f"{len(current)} current rows, fewer than min_rows={config.min_rows}: not assessed"
        )
        return result
    if not tested:
        result.reason = "no column can be tested"
        return result
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently import DataDefinition, Dataset, Report
        from evidently.presets import DataDriftPreset

        definition = DataDefinition(numerical_columns=tested)
        report = Report(
            [DataDriftPreset(columns=tested, method=config.method, threshold=config.threshold)],
            include_tests=True,
            metadata=dict(metadata or {}),
            tags=[kind],
        )
        snapshot = report.run(
            Dataset.from_pandas(current[tested].astype("float64"), data_definition=definition),
            Dataset.from_pandas(reference[tested].astype("float64"), data_definition=definition),
            timestamp=timestamp,
        )
    return with_snapshot(result, snapshot)


def with_snapshot(result: DriftResult, snapshot: Any) -> DriftResult:
    """``result`` filled from an Evidently drift snapshot (share, per column, drifted)."""
    share, per_column = parse_drift_snapshot(snapshot.dict())
    result.assessed = True
    result.share = share
    result.columns = per_column
    result.drifted = [c for c, v in per_column.items() if v["drifted"]]
    result.snapshot = snapshot
    return result


def parse_drift_snapshot(data: dict[str, Any]) -> tuple[float, dict[str, dict[str, Any]]]:
    """(share of drifted columns, per-column results) from an Evidently snapshot's ``dict()``.

    A column counts as drifted when Evidently's own drift test for it fails.
    """
    share = None
    per_column: dict[str, dict[str, Any]] = {}
    by_id: dict[str, str] = {}
    for metric in data["metrics"]:
        config = metric["config"]
        kind = config.get("type", "")
        if kind.endswith(":DriftedColumnsCount"):
            share = float(metric["value"]["share"])
        elif kind.endswith(":ValueDrift"):
            column = str(config["column"])
            by_id[metric["id"]] = column
            per_column[column] = {
                "score": _number(metric["value"]),
                "threshold": _number(config.get("threshold")),
                "method": str(config.get("method")),
                "drifted": False,
            }
    for test in data.get("tests", []):
        tested = by_id.get(test.get("metric_config", {}).get("metric_id", ""))
        if tested is not None:
            per_column[tested]["drifted"] = test.get("status") == "FAIL"
    if share is None:
        raise ValueError("the Evidently snapshot has no DriftedColumnsCount metric")
    return share, per_column


def _number(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if np.isfinite(number) else None
