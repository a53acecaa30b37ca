"""Tabular input → a validated risk table, or one readable line saying what is wrong.

:func:`read_table_csv` reads any CSV as text (missing values: empty, ``?``, ``NA``, ``null``, …).
:func:`prepare_table` checks it against a :class:`~vigia.risk.task.RiskTask` and returns the
table every later step reads: the features (``float64`` or text), the columns kept for slicing,
``__target__`` (0/1), and, when asked for, ``__group__`` (a surrogate code: the identifier itself
never leaves this step) and ``__time__``. Identifier-like columns (names such as ``patient_nbr``
or ``encounter_id``, or text that is unique per row) and constant columns are removed and
reported; nothing is ever imputed here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.data.contract import _read_text
from vigia.data.lines import lines_text
from vigia.errors import DataContractError
from vigia.privacy import identifier_reason
from vigia.risk.task import GROUP, RESERVED, TARGET, TIME, Feature, RiskTask

MISSING_TOKENS = frozenset({"", "?", "na", "n/a", "nan", "null", "none", "\\n", "#n/a"})
POSITIVE_WORDS = ("1", "1.0", "true", "yes", "y", "si", "sí", "positive", "pos")
MIN_ROWS = 100
MIN_PER_CLASS = 20
MAX_CATEGORIES_LISTED = 50
SLICE_NAMES = {
    "sex": ("sex", "gender", "sexo", "genero", "género"),
    "age": ("age", "edad", "age_band", "age_group", "grupo_edad"),
    "region": ("region", "región", "departamento", "department", "state", "province", "provincia"),
}


@dataclass
class Prepared:
    """A validated risk table, the task with its feature schema, and what validation did."""

    table: pd.DataFrame
    task: RiskTask
    report: dict[str, Any] = field(default_factory=dict)


def read_table_csv(path: str | Path) -> pd.DataFrame:
    """Read a CSV as text columns with missing values as NaN.

    Raises:
        DataContractError: Missing, empty, non-UTF-8 or ragged file, unnamed or repeated
            columns, or a header without data rows.
    """
    path = Path(path)
    text = _read_text(path)
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader)
        header = [h.strip() for h in header]
        ragged, rows = [], 0
        for i, row in enumerate(reader):
            if not row:
                continue
            rows += 1
            if len(row) != len(header):
                ragged.append(i)
    except csv.Error as exc:
        raise DataContractError(f"{path}: malformed CSV ({exc})") from None
    if len(header) < 2:
        raise DataContractError(
            f"{path}: only one column ({header[0]!r}); expected a comma-separated table with "
            "a target column and at least one feature"
        )
    unnamed = [i + 1 for i, h in enumerate(header) if not h]
    if unnamed:
        raise DataContractError(f"{path}: column {unnamed[0]} of the header has no name")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise DataContractError(f"{path}: column {repeated[0]!r} appears more than once")
    if ragged:
        raise DataContractError(
            f"{path}: malformed CSV, {lines_text(ragged)} have a different number of fields than "
            f"the header ({len(header)})"
        )
    if rows == 0:
        raise DataContractError(f"{path}: has a header but no data rows")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=True)
    frame.columns = header
    return frame.apply(_missing_to_nan)


def _missing_to_nan(column: pd.Series) -> pd.Series:
    text = column.astype(str).str.strip()
    return text.where(~text.str.lower().isin(MISSING_TOKENS), np.nan)


def default_slice_cols(columns: list[str]) -> list[str]:
    """Columns that look like sex, age or region (the default slices)."""
    found = []
    for names in SLICE_NAMES.values():
        for col in columns:
            if col.strip().lower() in names and col not in found:
                found.append(col)
                break
    return found


def prepare_table(frame: pd.DataFrame, task: RiskTask, source: str = "data") -> Prepared:
    """Validate ``frame`` for ``task`` and build the risk table.

    Args:
        frame: Raw rows (text from :func:`read_table_csv`, or typed columns from a loader).
        task: The task; its ``features`` are filled in on the returned copy.
        source: Name of the data in error messages (file name or dataset).

    Raises:
        DataContractError: One line naming the column (and rows) at fault.
    """

    def fail(message: str) -> DataContractError:
        return DataContractError(f"{source}: {message}")

    frame = frame.reset_index(drop=True)
    columns = [str(c) for c in frame.columns]
    frame.columns = columns
    clash = [c for c in columns if c in RESERVED]
    if clash:
        raise fail(f"column name {clash[0]!r} is reserved; rename it")
    if task.target not in columns:
        raise fail(f"missing target column {task.target!r} (columns: {_listing(columns)})")
    for what, col in (("group", task.group_col), ("time", task.time_col)):
        if col and col not in columns:
            raise fail(f"missing {what} column {col!r} (columns: {_listing(columns)})")
        if col and col == task.target:
            raise fail(f"the {what} column cannot be the target column {col!r}")
    for what, cols in (
        ("slice", task.slice_cols),
        ("excluded", task.exclude_cols),
        ("categorical", task.categorical),
        ("dropped", task.drop_cols),
    ):
        unknown = [c for c in cols if c not in columns]
        if unknown:
            raise fail(f"{what} column {unknown[0]!r} not found (columns: {_listing(columns)})")
    if len(frame) == 0:
        raise fail("no data rows")

    report: dict[str, Any] = {"source": source, "rows_in": len(frame), "dropped_rows": {}}
    target_text = _as_text(frame[task.target])
    no_target = target_text.isna().to_numpy()
    if no_target.all():
        raise fail(f"target column {task.target!r} is empty in every row")
    if no_target.any():
        report["dropped_rows"][f"missing target {task.target!r}"] = int(no_target.sum())
        frame = frame[~no_target].reset_index(drop=True)
        target_text = target_text[~no_target].reset_index(drop=True)
    positive = _positive_values(target_text, task, fail)
    y = target_text.isin(positive).astype("int8").to_numpy()
    n_pos, n_neg = int(y.sum()), int(len(y) - y.sum())
    if len(frame) < MIN_ROWS:
        raise fail(f"only {len(frame)} rows with a target; need at least {MIN_ROWS}")
    if min(n_pos, n_neg) < MIN_PER_CLASS:
        which = "positive" if n_pos < n_neg else "negative"
        raise fail(
            f"only {min(n_pos, n_neg)} {which} rows (positive = {_listing(positive)}); need at "
            f"least {MIN_PER_CLASS} of each class to train and test"
        )
    table = pd.DataFrame(index=frame.index)
    if task.group_col:
        groups = _as_text(frame[task.group_col])
        if groups.isna().any():
            raise fail(
                f"group column {task.group_col!r} is empty on "
                f"{lines_text(np.flatnonzero(groups.isna().to_numpy()))}"
            )
        table[GROUP] = pd.factorize(groups)[0].astype("int64")
        report["groups"] = int(table[GROUP].nunique())
    if task.time_col:
        table[TIME] = parse_time(frame[task.time_col], f"time column {task.time_col!r}", fail)

    features, removed = _infer_features(frame, task, source, fail)
    report["removed_columns"] = removed
    if not features:
        raise fail(
            "no feature columns left after removing the target, group, time, identifier-like "
            "and constant columns"
        )
    for feat in features:
        table[feat.name] = (
            frame[feat.name] if feat.kind == "numeric" else _as_text(frame[feat.name])
        )
    for col in dict.fromkeys([*task.slice_cols, *task.exclude_cols]):
        if col not in table.columns:
            table[col] = frame[col]
    table[TARGET] = y
    resolved = RiskTask.from_dict({**task.to_dict(), "positive": positive, "features": []})
    resolved.features = features
    report.update(
        {
            "rows_out": len(table),
            "positive": positive,
            "positives": n_pos,
            "negatives": n_neg,
            "prevalence": n_pos / len(table),
            "features": len(features),
            "numeric": sum(f.kind == "numeric" for f in features),
            "categorical": sum(f.kind == "categorical" for f in features),
        }
    )
    return Prepared(table=table, task=resolved, report=report)


def parse_time(values: pd.Series, what: str, fail: Any = DataContractError) -> pd.Series:
    """A time column as float (numbers, e.g. years) or datetime64[ns] (dates).

    Raises:
        DataContractError: Empty or unparsable values, naming the lines.
    """
    if values.isna().any():
        raise fail(f"{what} is empty on {lines_text(np.flatnonzero(values.isna().to_numpy()))}")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.astype("datetime64[ns]")
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers.astype("float64")
    dates = pd.to_datetime(values.astype(str), errors="coerce", format="mixed")
    bad = np.flatnonzero(dates.isna().to_numpy())
    if bad.size:
        raise fail(
            f"{what} has values that are neither numbers nor dates on {lines_text(bad)} "
            f"(e.g. {str(values.iloc[bad[0]])!r})"
        )
    return dates.astype("datetime64[ns]")


def parse_time_value(text: str, like: pd.Series, what: str) -> Any:
    """A single time value (``--test-from``) parsed like the time column ``like``."""
    if pd.api.types.is_datetime64_any_dtype(like):
        value = pd.to_datetime(text, errors="coerce")
        if pd.isna(value):
            raise DataContractError(f"{what} {text!r} is not a date like the time column")
        return value
    try:
        return float(text)
    except ValueError:
        raise DataContractError(f"{what} {text!r} is not a number like the time column") from None


def _as_text(values: pd.Series) -> pd.Series:
    """Text with NaN for missing; integral numbers as ``"3"``, not ``"3.0"``."""
    if pd.api.types.is_float_dtype(values):
        whole = values.dropna()
        if len(whole) and (whole == np.round(whole)).all():
            return values.map(lambda v: np.nan if pd.isna(v) else str(int(v)))
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        return values.astype(str)
    text = values.astype(object).where(values.notna(), np.nan)
    return text.map(lambda v: v if isinstance(v, float) else str(v).strip())


def _positive_values(target: pd.Series, task: RiskTask, fail: Any) -> list[str]:
    values = sorted(target.dropna().unique().tolist())
    if len(values) == 1:
        raise fail(
            f"target column {task.target!r} is constant (every row is {values[0]!r}): "
            "nothing to learn"
        )
    if task.positive:
        wanted = [str(p).strip() for p in task.positive]
        unknown = [p for p in wanted if p not in values]
        if unknown:
            raise fail(
                f"positive label {unknown[0]!r} is not a value of target {task.target!r} "
                f"(values: {_listing(values)})"
            )
        if set(wanted) == set(values):
            raise fail(
                f"every value of target {task.target!r} is marked positive: nothing to learn"
            )
        return wanted
    if len(values) > 2:
        raise fail(
            f"target {task.target!r} has {len(values)} values ({_listing(values)}); say which "
            "are positive with --positive"
        )
    for value in values:
        if value.lower() in POSITIVE_WORDS:
            return [value]
    counts = target.value_counts()
    return [str(counts.idxmin())]


def _infer_features(
    frame: pd.DataFrame, task: RiskTask, source: str, fail: Any
) -> tuple[list[Feature], dict[str, str]]:
    """Feature schema and the columns removed (name → reason)."""
    not_features = {
        task.target: "target",
        task.group_col: "group column (used for splitting only)",
        task.time_col: "time column (used for splitting only)",
        **{c: "excluded (kept for slices)" for c in task.exclude_cols},
        **{c: "dropped on request" for c in task.drop_cols},
    }
    removed: dict[str, str] = {}
    features: list[Feature] = []
    for col in frame.columns:
        if col in not_features:
            if col and not_features[col] != "excluded (kept for slices)":
                removed[col] = not_features[col]
            continue
        values = frame[col]
        reason = identifier_reason(col, values)  # the one identifier policy (vigia.privacy)
        if reason:
            removed[col] = reason
            continue
        present = values.dropna()
        if present.empty:
            removed[col] = "empty in every row"
            continue
        if present.nunique() == 1 and not values.isna().any():
            removed[col] = "constant"
            continue
        numeric = None
        if col not in task.categorical:
            if pd.api.types.is_bool_dtype(values):
                numeric = None
            elif pd.api.types.is_numeric_dtype(values):
                numeric = values.astype("float64")
            else:
                parsed = pd.to_numeric(present, errors="coerce")
                if parsed.notna().all():
                    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
        if numeric is not None:
            infinite = np.flatnonzero(np.isinf(numeric.to_numpy()))
            if infinite.size:
                raise fail(f"column {col!r} has infinite values on {lines_text(infinite)}")
            frame[col] = numeric
            whole = numeric.dropna()
            features.append(
                Feature(col, "numeric", bool(numeric.isna().any()), minimum=float(whole.min()),
                        maximum=float(whole.max()), median=float(whole.median()))
            )  # fmt: skip
            continue
        text = _as_text(values)
        distinct = text.nunique()
        top = text.value_counts().index[:MAX_CATEGORIES_LISTED].tolist()
        features.append(
            Feature(col, "categorical", bool(text.isna().any()), [str(t) for t in top], distinct)
        )
    return features, removed


def _listing(values: list[Any], limit: int = 8) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f", … ({len(values)} in all)" if len(values) > limit else "")
