"""The weekly panel data contract: one row per region and week on one weekly calendar.

A panel has the columns ``region`` (text), ``week_start`` (the week's first day) and ``cases``
(non-negative number, **NaN where the week was not reported**), plus optional numeric
covariates. Each region is a gap-free weekly grid from its first to its last reported week;
regions may start and end in different weeks (a *ragged* panel). Every breach raises a
:class:`~vigia.errors.DataContractError` with a one-line message that names the column and the
file lines at fault (line 1 is the header).

How irregular input is put on that grid (rules documented in ``docs/forecasting.md``):

- dates → one weekly calendar by the week rule (:mod:`vigia.data.weeks`); rows of one region
  that land in the same week are summed (covariates averaged), and the data card counts them;
- a week without a row (or with an empty count) is missing (NaN), or zero with
  ``missing="zero"``; leading and trailing missing weeks are not part of the region;
- a run of more than ``max_gap`` missing weeks splits the series: the region keeps the weeks
  after its last such gap, the older ones are dropped and counted;
- counts above :data:`MAX_WEEKLY_CASES` are refused as implausible.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.data.lines import lines_text
from vigia.data.read import MISSING_RULES, PanelOptions, read_table
from vigia.data.weeks import (
    WEEK_SYSTEMS,
    check_week_rule,
    snap_to_week,
    week_start_from_number,
)
from vigia.errors import DataContractError

PANEL_COLUMNS = ("region", "week_start", "cases")
MAX_WEEKLY_CASES = 1e8  # no region reports 100 million cases in a week: a unit or export error
DATE_FORMATS = ("%Y-%m-%d", "ISO8601", "%Y/%m/%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y")
# cells that mean "no value" in exports (besides an empty cell)
MISSING_MARKS = frozenset({"", "na", "n/a", "nan", "null", "none", "-", "."})
Notes = dict[str, Any]


def _read_text(path: Path) -> str:
    """A UTF-8 text file's content (the risk tables' reader; panels use vigia.data.read)."""
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
    options: PanelOptions | None = None,
) -> pd.DataFrame:
    """Read and validate a weekly panel file (see :func:`load_panel_file`)."""
    if options is None:
        options = PanelOptions(region_col=region_col, date_col=date_col, target_col=target_col)
    return load_panel_file(path, options)[0]


def load_panel_file(path: str | Path, options: PanelOptions) -> tuple[pd.DataFrame, Notes]:
    """Read a panel file (CSV, maybe gzip, any common spreadsheet encoding and delimiter), put it
    on the contract's weekly grid and say what was done (notes for the data card).

    Raises:
        DataContractError: The file or its content breaks the contract (one line, with the file).
    """
    path = Path(path)
    try:
        return _load(path, options)
    except DataContractError as exc:
        message = str(exc)
        raise DataContractError(
            message if message.startswith(str(path)) else f"{path}: {message}"
        ) from None


def _load(path: Path, options: PanelOptions) -> tuple[pd.DataFrame, Notes]:
    table = read_table(path, options)
    header, body = table.header, table.rows
    body = [_trim_trailing_empty(row, len(header)) for row in body]
    ragged = [i for i, row in enumerate(body) if len(row) != len(header)]
    if ragged:
        raise DataContractError(
            f"malformed CSV, {lines_text(ragged)} have a different number of fields than "
            f"the header ({len(header)})"
        )
    header = [h or f"(unnamed column {i + 1})" for i, h in enumerate(header)]
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise DataContractError(f"column {duplicated[0]!r} appears more than once")
    frame = pd.DataFrame(body, columns=header, dtype=str)
    if frame.empty:
        raise DataContractError("no data rows")
    by_number = bool(options.year_col or options.week_col)
    wanted = [options.region_col, options.target_col]
    wanted += [options.year_col, options.week_col] if by_number else [options.date_col]
    missing = [c for c in wanted if c not in frame.columns]
    if missing:
        raise DataContractError(f"missing column {missing[0]!r} (found: {', '.join(header)})")
    covariates, ignored = _extra_columns(frame, set(wanted), options)
    if by_number:
        system = options.week_rule if options.week_rule in WEEK_SYSTEMS else "mmwr"
        year = _parse_numbers(frame[options.year_col], options.year_col)
        week = _parse_numbers(frame[options.week_col], options.week_col)
        for name, values in ((options.year_col, year), (options.week_col, week)):
            odd = np.flatnonzero((values % 1 != 0) | (values < 0) | (values > 9999))
            if odd.size:
                raise DataContractError(f"column {name!r}: not a whole number at {lines_text(odd)}")
        week_start: pd.Series = week_start_from_number(year, week, system)
        options = PanelOptions(**{**options.__dict__, "week_rule": "none"})
    else:
        week_start = frame[options.date_col]
    typed = pd.DataFrame(
        {
            "region": frame[options.region_col],
            "week_start": week_start,
            "cases": frame[options.target_col],
            **{c: frame[c] for c in covariates},
        }
    )
    panel, notes = check_panel(typed, options)
    notes.update(
        {
            "encoding": table.encoding,
            "delimiter": "tab" if table.delimiter == "\t" else table.delimiter,
            "gzip": table.compressed,
            "ignored_columns": ignored,
            "rows_read": len(body),
        }
    )
    if by_number:
        notes["week_rule"] = f"{system} week numbers"
    return panel, notes


def _trim_trailing_empty(row: list[str], width: int) -> list[str]:
    """Spreadsheets pad rows with empty cells past the last column: drop them."""
    while len(row) > width and not row[-1].strip():
        row = row[:-1]
    return row


def _extra_columns(
    frame: pd.DataFrame, used: set[str], options: PanelOptions
) -> tuple[list[str], list[str]]:
    """(covariates, ignored columns): named covariates, or else every numeric extra column."""
    extra = [c for c in frame.columns if c not in used]
    named = options.covariate_list()
    if named:
        unknown = [c for c in named if c not in frame.columns]
        if unknown:
            raise DataContractError(f"covariate column {unknown[0]!r} not found")
        return named, [c for c in extra if c not in named]
    covariates = []
    for column in extra:
        text = frame[column].str.strip()
        filled = text[~text.str.lower().isin(MISSING_MARKS)]
        numeric = pd.to_numeric(filled.str.replace(",", ".", regex=False), errors="coerce")
        if not column.startswith("(unnamed") and numeric.notna().all():
            covariates.append(column)
    return covariates, [c for c in extra if c not in covariates]


def validate_panel(frame: pd.DataFrame, options: PanelOptions | None = None) -> pd.DataFrame:
    """Check a panel against the contract and return it on its weekly grid (see
    :func:`check_panel`)."""
    return check_panel(frame, options or PanelOptions())[0]


def check_panel(frame: pd.DataFrame, options: PanelOptions) -> tuple[pd.DataFrame, Notes]:
    """Type a panel, put it on one weekly grid and say what that took.

    Accepts text or typed columns. Output columns: ``region`` (str), ``week_start``
    (datetime64[ns]), ``cases`` (float64, NaN = not reported), then covariates (float64),
    sorted by region and week, one row per week from each region's first to last reported week.

    Returns:
        ``(panel, notes)``; notes (for the data card): ``week_rule``, ``rows_moved``,
        ``max_shift_days``, ``rows_merged``, ``missing_weeks`` (per region), ``filled_with_zero``,
        ``dropped_before_gap`` (per region), ``empty_regions``.

    Raises:
        DataContractError: Naming the column and the rows at fault.
    """
    rule = check_week_rule(options.week_rule)
    if options.missing not in MISSING_RULES:
        raise DataContractError(
            f"unknown missing-week rule {options.missing!r}; choose {', '.join(MISSING_RULES)}"
        )
    if options.max_gap < 0:
        raise DataContractError(f"max gap must be 0 or more weeks, got {options.max_gap}")
    missing = [c for c in PANEL_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(f"missing column {missing[0]!r}")
    if frame.empty:
        raise DataContractError("no data rows")
    frame = frame.reset_index(drop=True)

    region = frame["region"].astype(str).str.strip()
    region = region.map(lambda r: unicodedata.normalize("NFC", r))
    bad = np.flatnonzero((region == "") | frame["region"].isna().to_numpy())
    if bad.size:
        raise DataContractError(f"column 'region': empty value at {lines_text(bad)}")
    week_start = _parse_dates(frame["week_start"], options.date_format)
    cases = _parse_numbers(frame["cases"], "cases", allow_missing=True)
    values = cases.to_numpy()
    negative = np.flatnonzero(values < 0)
    if negative.size:
        raise DataContractError(f"column 'cases': negative count at {lines_text(negative)}")
    huge = np.flatnonzero(values > MAX_WEEKLY_CASES)
    if huge.size:
        raise DataContractError(
            f"column 'cases': implausible weekly count {values[huge[0]]:g} at "
            f"{lines_text(huge)} (more than {MAX_WEEKLY_CASES:,.0f})"
        )
    covariates = {
        column: _parse_numbers(frame[column], column, allow_missing=True)
        for column in frame.columns
        if column not in PANEL_COLUMNS
    }
    panel = pd.DataFrame({"region": region, "week_start": week_start, "cases": cases, **covariates})

    dup = panel.duplicated(["region", "week_start"], keep=False)
    if dup.any():
        rows = np.flatnonzero(dup.to_numpy())
        first = panel.iloc[rows[0]]
        raise DataContractError(
            f"columns 'region'+'week_start': duplicate region-week "
            f"({first['region']}, {first['week_start']:%Y-%m-%d}) at {lines_text(rows)}"
        )
    panel, notes = _snap(panel, rule)
    return _grid(panel, options, notes)


def _snap(panel: pd.DataFrame, rule: str) -> tuple[pd.DataFrame, Notes]:
    """Put every date on one weekly calendar; sum rows of a region that share a week."""
    weekdays = panel["week_start"].dt.dayofweek
    one_weekday = weekdays.nunique() == 1
    if rule == "none" or (rule == "auto" and one_weekday):
        if not one_weekday:
            counts = weekdays.value_counts()
            usual = int(counts.index[0])
            odd = np.flatnonzero(weekdays.to_numpy() != usual)
            raise DataContractError(
                f"column 'week_start': weeks must all start on the same weekday; "
                f"{lines_text(odd)} not on {pd.Timestamp(2024, 1, 1 + usual).day_name()} like "
                "the others (or choose --week-rule mmwr or iso)"
            )
        return panel, {
            "week_rule": "as given",
            "rows_moved": 0,
            "max_shift_days": 0,
            "rows_merged": 0,
        }
    system = "mmwr" if rule == "auto" else rule
    snapped = snap_to_week(panel["week_start"], system)
    shift = (panel["week_start"] - snapped).dt.days
    panel = panel.assign(week_start=snapped)
    merged = 0
    if panel.duplicated(["region", "week_start"]).any():
        before = len(panel)
        covariates = [c for c in panel.columns if c not in PANEL_COLUMNS]
        grouped = panel.groupby(["region", "week_start"], sort=False)
        summed = grouped["cases"].sum(min_count=1)
        panel = pd.concat([summed, *(grouped[c].mean() for c in covariates)], axis=1).reset_index()
        merged = before - len(panel)
    notes = {
        "week_rule": f"{system} (each date moved to the first day of its week)",
        "rows_moved": int((shift != 0).sum()),
        "max_shift_days": int(shift.max()),
        "rows_merged": int(merged),
    }
    return panel, notes


def _grid(panel: pd.DataFrame, options: PanelOptions, notes: Notes) -> tuple[pd.DataFrame, Notes]:
    """Each region on a gap-free weekly grid between its first and last reported week."""
    reported = panel[panel["cases"].notna()]
    empty = sorted(set(panel["region"]) - set(reported["region"]))
    if reported.empty:
        raise DataContractError("column 'cases': no reported count in any row")
    spans = reported.groupby("region")["week_start"].agg(["min", "max"])
    parts = []
    for name, (first, last) in spans.iterrows():
        weeks = pd.date_range(first, last, freq="7D")
        parts.append(pd.DataFrame({"region": name, "week_start": weeks}))
    grid = pd.concat(parts, ignore_index=True)
    full = grid.merge(panel, on=["region", "week_start"], how="left", validate="one_to_one")
    off_grid = len(reported) - int(full["cases"].notna().sum())
    if off_grid:
        raise DataContractError(
            f"column 'week_start': {off_grid} row(s) not a whole number of weeks after their "
            "region's first week (choose --week-rule mmwr or iso to snap dates to weeks)"
        )
    gaps = full["cases"].isna()
    notes["missing_weeks"] = {
        str(r): int(n) for r, n in gaps.groupby(full["region"]).sum().items() if n
    }
    notes["filled_with_zero"] = 0
    notes["dropped_before_gap"] = {}
    if options.missing == "zero":
        notes["filled_with_zero"] = int(gaps.sum())
        full["cases"] = full["cases"].fillna(0.0)
    else:
        full, notes["dropped_before_gap"] = _split_long_gaps(full, options.max_gap)
        kept = full["cases"].isna().groupby(full["region"]).sum()
        notes["missing_weeks"] = {str(r): int(n) for r, n in kept.items() if n}
    notes["empty_regions"] = empty
    full = full.sort_values(["region", "week_start"], kind="stable").reset_index(drop=True)
    full["week_start"] = full["week_start"].astype("datetime64[ns]")
    full["cases"] = full["cases"].astype("float64")
    return full, notes


def _split_long_gaps(panel: pd.DataFrame, max_gap: int) -> tuple[pd.DataFrame, dict[str, int]]:
    """Keep, in each region, only the weeks after its last run of more than ``max_gap`` missing
    weeks."""
    missing = panel["cases"].isna().to_numpy()
    region = panel["region"].to_numpy()
    # run length of missing weeks ending at each row, restarting at each region
    run = np.zeros(len(panel), dtype="int64")
    for i in range(len(panel)):
        same = i > 0 and region[i] == region[i - 1]
        run[i] = (run[i - 1] + 1 if same else 1) if missing[i] else 0
    long_end = run > max_gap
    if not long_end.any():
        return panel, {}
    position = np.arange(len(panel))
    last_gap = pd.Series(np.where(long_end, position, -1)).groupby(region).transform("max")
    keep = position > last_gap.to_numpy()
    dropped = pd.Series(~keep).groupby(region).sum()
    return panel[keep].reset_index(drop=True), {str(r): int(n) for r, n in dropped.items() if n}


def _parse_dates(values: pd.Series, date_format: str = "auto") -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = pd.to_datetime(values)
    else:
        text = values.astype(str).str.strip()
        formats = DATE_FORMATS if date_format == "auto" else (date_format,)
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        for fmt in formats:
            todo = parsed.isna()
            if not todo.any():
                break
            try:
                attempt = pd.to_datetime(text[todo], format=fmt, errors="coerce")
            except ValueError:
                raise DataContractError(f"date format {date_format!r} is not valid") from None
            parsed[todo] = attempt.dt.tz_localize(None) if attempt.dt.tz else attempt
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if bad.size:
        example = values.iloc[bad[0]]
        raise DataContractError(
            f"column 'week_start': not a date (YYYY-MM-DD or DD/MM/YYYY) at {lines_text(bad)}, "
            f"e.g. {example!r}"
        )
    years = parsed.dt.year
    odd = np.flatnonzero(((years < 1900) | (years > 2200)).to_numpy())
    if odd.size:
        raise DataContractError(
            f"column 'week_start': implausible year {int(years.iloc[odd[0]])} at {lines_text(odd)}"
        )
    return parsed.dt.normalize().astype("datetime64[ns]")


def _parse_numbers(values: pd.Series, column: str, allow_missing: bool = False) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        parsed = values.astype("float64")
        unparsable = np.zeros(len(values), dtype=bool)
    else:
        text = values.astype(str).str.strip()
        empty = text.str.lower().isin(MISSING_MARKS) | values.isna().to_numpy()
        parsed = pd.to_numeric(text.where(~empty), errors="coerce").astype("float64")
        # a decimal comma, as in Spanish-language spreadsheets: "12,5" (not "1,234": ambiguous)
        comma = parsed.isna() & ~empty & text.str.fullmatch(r"-?\d+,\d{1,2}")
        if comma.any():
            parsed[comma] = pd.to_numeric(text[comma].str.replace(",", ".", regex=False))
        unparsable = parsed.isna().to_numpy() & ~empty.to_numpy()
        if unparsable.any():
            rows = np.flatnonzero(unparsable)
            raise DataContractError(
                f"column {column!r}: not a number at {lines_text(rows)}, "
                f"e.g. {values.iloc[rows[0]]!r}"
            )
    missing = parsed.isna().to_numpy() & ~unparsable
    if missing.any() and not allow_missing:
        raise DataContractError(
            f"column {column!r}: missing value at {lines_text(np.flatnonzero(missing))}"
        )
    infinite = np.isinf(parsed.to_numpy())
    if infinite.any():
        raise DataContractError(
            f"column {column!r}: infinite value at {lines_text(np.flatnonzero(infinite))}"
        )
    return parsed
