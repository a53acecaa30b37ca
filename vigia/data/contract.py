"""The weekly panel data contract: one row per region and week, a non-negative case count.

A panel has the columns ``region`` (text), ``week_start`` (ISO date of the week's first day) and
``cases`` (non-negative number), plus optional numeric covariates. Every breach raises a
:class:`~vigia.errors.DataContractError` with a one-line message that names the column and the
file lines at fault (line 1 is the header).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from vigia.errors import DataContractError

PANEL_COLUMNS = ("region", "week_start", "cases")
MAX_LISTED = 5


def _lines(positions: Sequence[int] | np.ndarray | pd.Index) -> str:
    """'lines 2, 5, 9 (+3 more)' for 0-based data-row positions (header is line 1)."""
    numbers = [int(p) + 2 for p in list(positions)[:MAX_LISTED]]
    more = len(positions) - len(numbers)
    text = ("line " if len(positions) == 1 else "lines ") + ", ".join(map(str, numbers))
    return text + (f" (+{more} more)" if more > 0 else "")


def _read_text(path: Path) -> str:
    if not path.exists():
        raise DataContractError(f"{path}: file not found")
    if path.is_dir():
        raise DataContractError(f"{path}: is a folder, expected a CSV file")
    raw = path.read_bytes()
    if not raw.strip():
        raise DataContractError(f"{path}: file is empty")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataContractError(
            f"{path}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}); "
            "re-save the file as UTF-8"
        ) from None


def read_panel_csv(
    path: str | Path,
    region_col: str = "region",
    date_col: str = "week_start",
    target_col: str = "cases",
) -> pd.DataFrame:
    """Read and validate a weekly panel CSV.

    Args:
        path: CSV file.
        region_col: Column holding the region name (renamed to ``region``).
        date_col: Column holding the ISO date of the week's first day (renamed ``week_start``).
        target_col: Column holding the weekly case count (renamed ``cases``).

    Returns:
        The validated panel (see :func:`validate_panel`).

    Raises:
        DataContractError: The file or its content breaks the contract.
    """
    path = Path(path)
    text = _read_text(path)
    rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if r]  # blank lines
    if not rows:
        raise DataContractError(f"{path}: file is empty")
    header, body = rows[0], rows[1:]
    widths = [len(r) for r in body]
    ragged = [i for i, w in enumerate(widths) if w != len(header)]
    if ragged:
        raise DataContractError(
            f"{path}: malformed CSV, {_lines(ragged)} have a different number of fields than "
            f"the header ({len(header)})"
        )
    header = [h.strip() for h in header]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise DataContractError(f"{path}: column {duplicated[0]!r} appears more than once")
    frame = pd.DataFrame(body, columns=header, dtype=str)
    rename = {region_col: "region", date_col: "week_start", target_col: "cases"}
    missing = [src for src in rename if src not in frame.columns]
    if missing:
        raise DataContractError(
            f"{path}: missing column {missing[0]!r} (found: {', '.join(header)})"
        )
    frame = frame.rename(columns=rename)
    try:
        return validate_panel(frame)
    except DataContractError as exc:
        raise DataContractError(f"{path}: {exc}") from None


def validate_panel(frame: pd.DataFrame) -> pd.DataFrame:
    """Check a panel against the contract and return it typed and sorted.

    Accepts text or typed columns. Output columns: ``region`` (str), ``week_start``
    (datetime64, day precision), ``cases`` (float64), then covariates (float64), sorted by
    region and week.

    Raises:
        DataContractError: Naming the column and the rows at fault.
    """
    missing = [c for c in PANEL_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(f"missing column {missing[0]!r}")
    if frame.empty:
        raise DataContractError("no data rows")
    frame = frame.reset_index(drop=True)

    region = frame["region"].astype(str).str.strip()
    bad = np.flatnonzero((region == "") | frame["region"].isna().to_numpy())
    if bad.size:
        raise DataContractError(f"column 'region': empty value at {_lines(bad)}")

    week_start = _parse_dates(frame["week_start"])
    cases = _parse_numbers(frame["cases"], "cases")
    negative = np.flatnonzero(cases.to_numpy() < 0)
    if negative.size:
        raise DataContractError(f"column 'cases': negative count at {_lines(negative)}")

    covariates = {}
    for column in frame.columns:
        if column in PANEL_COLUMNS:
            continue
        covariates[column] = _parse_numbers(frame[column], column, allow_missing=True)

    panel = pd.DataFrame({"region": region, "week_start": week_start, "cases": cases, **covariates})

    weekdays = panel["week_start"].dt.dayofweek
    if weekdays.nunique() > 1:
        counts = weekdays.value_counts()
        most = counts[counts == counts.max()].index
        first = int(weekdays.iloc[0])
        usual = first if first in most else int(most[0])
        odd = np.flatnonzero(weekdays.to_numpy() != usual)
        raise DataContractError(
            f"column 'week_start': weeks must all start on the same weekday; {_lines(odd)} "
            f"not on {pd.Timestamp(2024, 1, 1 + usual).day_name()} like the others"
        )

    dup = panel.duplicated(["region", "week_start"], keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = panel.iloc[rows[0]]
        raise DataContractError(
            f"columns 'region'+'week_start': duplicate region-week "
            f"({first['region']}, {first['week_start']:%Y-%m-%d}) at {_lines(rows)}"
        )

    panel = panel.sort_values(["region", "week_start"], kind="stable").reset_index(drop=True)
    for name, group in panel.groupby("region", sort=True):
        steps = group["week_start"].diff().dropna().dt.days.to_numpy()
        if (steps != 7).any():
            at = int(np.flatnonzero(steps != 7)[0])
            before = group["week_start"].iloc[at]
            after = group["week_start"].iloc[at + 1]
            missing_weeks = (after - before).days // 7 - 1
            raise DataContractError(
                f"column 'week_start': region {name!r} has a gap of {missing_weeks} week(s) "
                f"between {before:%Y-%m-%d} and {after:%Y-%m-%d}; fill missing weeks with 0 cases"
            )
    return panel


def _parse_dates(values: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values
    else:
        text = values.astype(str).str.strip()
        parsed = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        example = values.iloc[bad[0]]
        raise DataContractError(
            f"column 'week_start': not an ISO date (YYYY-MM-DD) at {_lines(bad)}, e.g. {example!r}"
        )
    return pd.to_datetime(parsed).dt.normalize().astype("datetime64[ns]")


def _parse_numbers(values: pd.Series, column: str, allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("float64")
        unparsable = np.zeros(len(values), dtype=bool)
    else:
        text = values.astype(str).str.strip()
        empty = (text == "") | values.isna().to_numpy()
        parsed = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")
        unparsable = parsed.isna().to_numpy() & ~empty.to_numpy()
        if unparsable.any():
            rows = np.flatnonzero(unparsable)
            raise DataContractError(
                f"column {column!r}: not a number at {_lines(rows)}, e.g. {values.iloc[rows[0]]!r}"
            )
    missing = parsed.isna().to_numpy() & ~unparsable
    if missing.any() and not allow_missing:
        raise DataContractError(
            f"column {column!r}: missing value at {_lines(np.flatnonzero(missing))}"
        )
    infinite = np.isinf(parsed.to_numpy())
    if infinite.any():
        raise DataContractError(
            f"column {column!r}: infinite value at {_lines(np.flatnonzero(infinite))}"
        )
    return parsed
