"""Dengue severity at notification: one row per case of the Peru MINSA line list (2019–2022).

Target: ``enfermedad`` — *con señales de alarma* or *grave* (positive) vs *sin señales de alarma*.
Every feature is known when the case is notified (its epidemiological week ``w``):

- ``edad`` (years; values above 110 are recording errors and become missing), ``sexo``;
- place: ``departamento``, ``provincia`` and ``distrito`` (as ``DEPT/PROV[/DIST]`` so that names
  repeated across departments stay distinct);
- ``semana``: epidemiological week of the year (season);
- local incidence: cases notified in the district / province / department in week ``w-1`` and
  in weeks ``w-4 … w-1`` (``cases_prev1_*``, ``cases_prev4_*``);
- recent severity: the share of alarm-or-severe cases among the cases notified in the district /
  province / department in the previous 8 and 52 weeks (``severe_share8_*``,
  ``severe_share52_*``), each shrunk towards the next level up (district → province →
  department → country) with a prior weight of 10 cases, so small places do not swing wildly.

Only weeks before ``w`` are used, so a case's own label and every later case stay out of its
features; this assumes, as the line list does, that a case's classification is recorded with
its notification. ``grupo_edad`` (MINSA life stages) is kept for slicing only. ``week_start``
drives the temporal split (train 2019–2021, test 2022).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vigia.data.peru import SEVERITY_LEVELS, clean_line_list, load_peru_line_list

TARGET = "enfermedad"
POSITIVE = list(SEVERITY_LEVELS[1:])  # con señales de alarma, grave
TIME = "week_start"
TEST_FROM = "2022-01-02"  # Sunday that starts epidemiological week 1 of 2022
MAX_AGE = 110
SHRINK = 10.0  # prior weight (in cases) of the parent level's share
LEVELS = ("district", "province", "department")
AGE_BANDS = (
    (0, 12, "0-11"),
    (12, 18, "12-17"),
    (18, 30, "18-29"),
    (30, 60, "30-59"),
    (60, 200, "60+"),
)


def _weekly(
    keys: pd.Series, week: pd.Series, y: np.ndarray, weeks: pd.DatetimeIndex
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cases and positives per key (rows) × week (columns) on the full week grid."""
    frame = pd.DataFrame({"key": keys.to_numpy(), "week": week.to_numpy(), "y": y})
    grouped = frame.groupby(["key", "week"])["y"]
    cases = grouped.size().unstack(fill_value=0).reindex(columns=weeks, fill_value=0)
    positives = grouped.sum().unstack(fill_value=0).reindex(columns=weeks, fill_value=0)
    return cases.astype("float64"), positives.astype("float64")


def _past(table: pd.DataFrame, window: int) -> pd.DataFrame:
    """Sum over the ``window`` weeks before each week (the week itself excluded)."""
    return table.T.rolling(window, min_periods=1).sum().shift(1).fillna(0.0).T


def _at(table: pd.DataFrame, keys: pd.Series, week: pd.Series) -> np.ndarray:
    """``table[key, week]`` for every row."""
    rows = table.index.get_indexer(keys.to_numpy())
    cols = table.columns.get_indexer(pd.DatetimeIndex(week))
    return table.to_numpy()[rows, cols]


def age_band(age: pd.Series) -> pd.Series:
    """MINSA life stage of an age in years (NaN where the age is missing)."""
    out = pd.Series(np.nan, index=age.index, dtype=object)
    for low, high, name in AGE_BANDS:
        out[(age >= low) & (age < high)] = name
    return out


def severity_table(line_list: pd.DataFrame | None = None) -> tuple[pd.DataFrame, dict[str, int]]:
    """The modelling table (see the module docstring) and the rows dropped per reason."""
    raw = load_peru_line_list() if line_list is None else line_list
    kept, dropped = clean_line_list(raw)
    kept = kept.reset_index(drop=True)
    y = kept[TARGET].isin(POSITIVE).to_numpy().astype("float64")
    dept = kept["departamento"].str.strip()
    prov = dept + "/" + kept["provincia"].str.strip()
    dist = prov + "/" + kept["distrito"].str.strip()
    week = kept["week_start"]
    weeks = pd.date_range(week.min(), week.max(), freq="7D")
    age = kept["edad"].astype("float64")
    bad_age = age > MAX_AGE
    table = pd.DataFrame(
        {
            "edad": age.where(~bad_age),
            "sexo": kept["sexo"].str.strip(),
            "departamento": dept,
            "provincia": prov,
            "distrito": dist,
            "semana": kept["semana"].astype("float64"),
        }
    )
    keys = {"district": dist, "province": prov, "department": dept}
    national = pd.Series("PERU", index=kept.index)
    grids = {level: _weekly(keys[level], week, y, weeks) for level in LEVELS}
    grids["country"] = _weekly(national, week, y, weeks)
    for level in LEVELS:
        cases, _ = grids[level]
        table[f"cases_prev1_{level}"] = _at(_past(cases, 1), keys[level], week)
        table[f"cases_prev4_{level}"] = _at(_past(cases, 4), keys[level], week)
    for window in (8, 52):
        cases, positives = grids["country"]
        n, pos = (
            _at(_past(cases, window), national, week),
            _at(_past(positives, window), national, week),
        )
        parent = np.where(n > 0, pos / np.maximum(n, 1), np.nan)
        for level in reversed(LEVELS):  # department, province, district
            cases, positives = grids[level]
            n = _at(_past(cases, window), keys[level], week)
            pos = _at(_past(positives, window), keys[level], week)
            share = (pos + SHRINK * parent) / (n + SHRINK)
            table[f"severe_share{window}_{level}"] = share
            parent = share
    table["grupo_edad"] = age_band(table["edad"])
    table[TIME] = week.to_numpy()
    table[TARGET] = kept[TARGET].to_numpy()
    if bad_age.any():
        dropped[f"age above {MAX_AGE} set to missing (rows kept)"] = int(bad_age.sum())
    return table, dropped
