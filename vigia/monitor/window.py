"""Logged forecasts: the payload log of a forecaster as tables the monitoring can test and score.

Each payload record holds parallel ``inputs`` and ``outputs`` rows (docs/architecture.md,
"Payload log"). Here they become one row per (region, origin) of one model version: the input
fields (``last_cases``, every forecast feature) and the quantile forecast ``(horizons, levels)``.
When a (region, origin) was requested several times, the latest request counts once.

Windows are cut in *data time* — the forecast origin, the week a forecast was made from — not in
wall-clock time, so a check asks "what did the model see and say about these weeks?". That is
what makes a replay of past weeks and a live weekly check the same computation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.forecasts.quantiles import QuantileForecast

FORECAST_KIND = "forecaster"
KEYS = ("region", "origin")
META = ("version", "ts", "history_source")


@dataclass
class LoggedForecasts:
    """One model version's logged forecasts, one row per (region, origin).

    Attributes:
        inputs: ``region``, ``origin`` (datetime64), ``version``, ``ts``, ``history_source`` and
            the numeric input fields the model saw (``last_cases``, features), in time order.
        values: Quantiles ``(rows, horizons, levels)`` aligned with ``inputs``.
        horizons: Weeks ahead.
        levels: Quantile levels.
        skipped_lines: Corrupt or truncated log lines (counted by ``read_payloads``).
        skipped_rows: Rows of valid records that could not be used (malformed, other shape).
        other_versions: Rows of other versions of the same model (not used).
        requests: Records (requests) read for this version.
    """

    inputs: pd.DataFrame
    values: np.ndarray
    horizons: tuple[int, ...]
    levels: tuple[float, ...]
    skipped_lines: int = 0
    skipped_rows: int = 0
    other_versions: int = 0
    requests: int = 0
    notes: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def feature_columns(self) -> list[str]:
        """Numeric input columns (everything but keys and metadata)."""
        return [
            c
            for c in self.inputs.columns
            if c not in (*KEYS, *META) and pd.api.types.is_numeric_dtype(self.inputs[c])
        ]

    def between(self, start: pd.Timestamp | None, end: pd.Timestamp | None) -> LoggedForecasts:
        """Rows with ``start < origin <= end`` (either bound may be None)."""
        keep = np.ones(len(self.inputs), dtype=bool)
        if start is not None:
            keep &= (self.inputs["origin"] > start).to_numpy()
        if end is not None:
            keep &= (self.inputs["origin"] <= end).to_numpy()
        return self.subset(keep)

    def subset(self, keep: np.ndarray) -> LoggedForecasts:
        """The rows where the boolean array ``keep`` is true (counters carried over)."""
        return replace(
            self,
            inputs=self.inputs[keep].reset_index(drop=True),
            values=self.values[keep],
            notes=list(self.notes),
        )

    def forecast(self) -> QuantileForecast:
        """The rows as a :class:`QuantileForecast` (for scoring against actual counts)."""
        return QuantileForecast(
            self.inputs[list(KEYS)], self.values.astype("float64"), self.horizons, self.levels
        )

    @property
    def last_origin(self) -> pd.Timestamp | None:
        return None if self.inputs.empty else pd.Timestamp(self.inputs["origin"].max())

    # --- files (what KFP steps hand to each other) --------------------------------------------
    def save(self, path: str | Path) -> None:
        """One Parquet file: the input columns plus one column per (horizon, level)."""
        frame = self.inputs.copy()
        flat = self.values.reshape(len(frame), -1)
        for j, name in enumerate(_value_columns(self.horizons, self.levels)):
            frame[name] = flat[:, j]
        frame.attrs = {}
        frame.to_parquet(path, index=False)

    @classmethod
    def load(cls, path: str | Path) -> LoggedForecasts:
        frame = pd.read_parquet(path)
        names = [c for c in frame.columns if c.startswith("q@")]
        horizons = tuple(sorted({int(n.split("@")[1]) for n in names}))
        levels = tuple(sorted({float(n.split("@")[2]) for n in names}))
        values = frame[_value_columns(horizons, levels)].to_numpy(dtype="float64")
        inputs = frame.drop(columns=names)
        inputs["origin"] = pd.to_datetime(inputs["origin"]).astype("datetime64[ns]")
        return cls(inputs, values.reshape(len(frame), len(horizons), len(levels)), horizons, levels)


def _value_columns(horizons: tuple[int, ...], levels: tuple[float, ...]) -> list[str]:
    return [f"q@{h}@{q:g}" for h in horizons for q in levels]


def logged_forecasts(
    records: list[dict[str, Any]], version: int | None = None, skipped_lines: int = 0
) -> LoggedForecasts:
    """Forecaster payload records → :class:`LoggedForecasts` of one version.

    Args:
        records: Records from :func:`vigia.payloads.read_payloads`, oldest first.
        version: The model version to keep (default: the version of the newest record).
        skipped_lines: Corrupt lines already skipped while reading (carried into the result).
    """
    forecasts = [r for r in records if r.get("kind") == FORECAST_KIND]
    if version is None and forecasts:
        version = int(forecasts[-1]["version"])
    rows: list[dict[str, Any]] = []
    values: list[np.ndarray] = []
    shape: tuple[tuple[int, ...], tuple[float, ...]] | None = None
    skipped = other = requests = 0
    for record in forecasts:
        if int(record["version"]) != version:
            other += len(record["inputs"])
            continue
        requests += 1
        if len(record["inputs"]) != len(record["outputs"]):
            skipped += max(len(record["inputs"]), len(record["outputs"]))
            continue
        for given, said in zip(record["inputs"], record["outputs"], strict=True):
            parsed = _row(given, said, record)
            if parsed is None:
                skipped += 1
                continue
            row, quantiles, row_shape = parsed
            if shape is None:
                shape = row_shape
            if row_shape != shape:
                skipped += 1
                continue
            rows.append(row)
            values.append(quantiles)
    horizons, levels = shape or ((), ())
    if not rows:
        empty = pd.DataFrame(
            {
                "region": pd.Series(dtype=str),
                "origin": pd.Series(dtype="datetime64[ns]"),
                "version": pd.Series(dtype="int64"),
            }
        )
        return LoggedForecasts(
            empty,
            np.empty((0, len(horizons), len(levels))),
            horizons,
            levels,
            skipped_lines,
            skipped,
            other,
            requests,
        )
    frame = pd.DataFrame(rows)
    frame["origin"] = pd.to_datetime(frame["origin"]).astype("datetime64[ns]")
    stacked = np.stack(values)
    # The latest request for a (region, origin) is the one that counts.
    last = ~frame.duplicated(subset=list(KEYS), keep="last")
    frame, stacked = frame[last.to_numpy()], stacked[last.to_numpy()]
    order = np.lexsort((frame["region"].to_numpy(), frame["origin"].to_numpy()))
    frame = frame.iloc[order].reset_index(drop=True)
    for column in frame.columns:
        if column not in (*KEYS, "ts", "history_source"):
            frame[column] = pd.to_numeric(frame[column], errors="coerce")
    return LoggedForecasts(
        frame, stacked[order], horizons, levels, skipped_lines, skipped, other, requests
    )


def _row(
    given: Any, said: Any, record: dict[str, Any]
) -> tuple[dict[str, Any], np.ndarray, tuple[tuple[int, ...], tuple[float, ...]]] | None:
    """One (inputs, outputs) pair as a flat row and its quantile array, or None if malformed."""
    if not isinstance(given, dict) or not isinstance(said, dict):
        return None
    try:
        region, origin = str(given["region"]), str(given["origin"])
        date.fromisoformat(origin)
        horizons = tuple(int(h) for h in said["horizons"])
        levels = tuple(float(q) for q in said["quantile_levels"])
        quantiles = np.asarray(said["quantiles"], dtype="float64")
    except (KeyError, TypeError, ValueError):
        return None
    if quantiles.shape != (len(horizons), len(levels)) or not np.isfinite(quantiles).all():
        return None
    if str(said.get("region", region)) != region or str(said.get("origin", origin)) != origin:
        return None
    row: dict[str, Any] = {
        "region": region,
        "origin": origin,
        "version": int(record["version"]),
        "ts": str(record["ts"]),
        "history_source": str(given.get("history_source", "")),
    }
    for key, value in given.items():
        if key in row or key in KEYS:
            continue
        if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            row[key] = np.nan if value is None else float(value)
    return row, quantiles, (horizons, levels)
