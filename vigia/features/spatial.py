"""Spatial features: what neighbouring regions and the rest of the country are doing.

Dengue spreads between neighbouring departments (shared vectors, travel), and a rise across the
country often precedes a rise in one department. For every (region, week):

- ``nb_rel``: log1p(the neighbours' summed 4-week mean cases) minus the region's own level;
- ``nb_slope``: the neighbours' mean weekly growth of log1p(cases) over the last 4 weeks;
- ``nat_slope``: weekly growth over the last 4 weeks of log1p(cases of all *other* regions of the
  same panel) (leave-one-out, so it never contains the region's own count).

Neighbours come from an adjacency table shipped with its source
(``vigia/data/files/peru_department_adjacency.{csv,SOURCE.md}``); regions not in the table (other
countries' series) get NaN neighbour features. Only weeks up to each row's week are used; missing
weeks (NaN) and regions that start or end at different weeks are skipped in the sums and means.
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache

import numpy as np
import pandas as pd

from vigia.features.catalog import FeatureSpec
from vigia.features.trend import local_trend

ADJACENCY_FILE = "peru_department_adjacency.csv"
SPATIAL = ("nb_rel", "nb_slope", "nat_slope")
SLOPE_WINDOW = 4
SOURCE = "weekly case panel of the other regions (up to the origin week) and the adjacency table"


def spatial_catalog() -> list[FeatureSpec]:
    """The catalog of :func:`spatial_features`."""
    return [
        FeatureSpec(
            "nb_rel",
            "log1p(neighbouring departments' summed 4-week mean cases) minus the 4-week level",
            SOURCE,
        ),
        FeatureSpec(
            "nb_slope", "neighbours' mean weekly growth of log1p(cases) over 4 weeks", SOURCE
        ),
        FeatureSpec(
            "nat_slope",
            "weekly growth of log1p(cases of every other region) over 4 weeks (leave-one-out)",
            SOURCE,
        ),
    ]


@lru_cache(maxsize=1)
def peru_adjacency() -> dict[str, frozenset[str]]:
    """Department → its neighbours, from the shipped table."""
    resource = importlib.resources.files("vigia.data") / "files" / ADJACENCY_FILE
    pairs = pd.read_csv(resource.open("rb"), dtype=str)
    neighbours: dict[str, set[str]] = {}
    for a, b in zip(pairs["region_a"], pairs["region_b"], strict=True):
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    return {region: frozenset(near) for region, near in neighbours.items()}


def _slopes(wide_log: np.ndarray) -> np.ndarray:
    """Weekly growth (degree-1 fit over ``SLOPE_WINDOW`` weeks) of every column."""
    out = np.full(wide_log.shape, np.nan)
    for j in range(wide_log.shape[1]):
        out[:, j] = local_trend(wide_log[:, j], SLOPE_WINDOW, 1)[:, 1]
    return out


def _masked_mean(values: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """Per row, the mean of ``values[:, k]`` over the columns ``k`` with ``matrix[k, j]``, skipping
    NaN; NaN where none is finite. ``values``: (weeks, regions); ``matrix``: (regions, regions)."""
    finite = np.isfinite(values)
    total = np.where(finite, values, 0.0) @ matrix
    count = finite.astype("float64") @ matrix
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def spatial_features(
    panel: pd.DataFrame,
    level: pd.Series | np.ndarray,
    adjacency: dict[str, frozenset[str]] | None = None,
) -> pd.DataFrame:
    """Spatial features for every (region, week) of ``panel``, in ``build_features`` row order.

    Args:
        panel: Panel (region, week_start, cases) of one source (one country).
        level: The rows' 4-week log1p level (``build_features(panel)["level"]``), same order.
        adjacency: Region → neighbours; default the Peru department table.
    """
    adjacency = peru_adjacency() if adjacency is None else adjacency
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    wide = ordered.pivot(index="week_start", columns="region", values="cases").sort_index()
    weeks = wide.index
    regions = [str(r) for r in wide.columns]
    counts = wide.to_numpy(dtype="float64")
    observed = np.isfinite(counts)
    recent = (
        wide.rolling(4, min_periods=1).mean().to_numpy(dtype="float64")
    )  # 4-week mean per region (over the observed weeks)
    n = len(regions)
    near = np.zeros((n, n))
    for i, a in enumerate(regions):
        for j, b in enumerate(regions):
            near[i, j] = float(b in adjacency.get(a, frozenset()))
    recent_finite = np.where(np.isfinite(recent), recent, 0.0)
    has_recent = np.isfinite(recent).astype("float64") @ near
    nb_sum = recent_finite @ near
    nb_rel_log = np.where(has_recent > 0, np.log1p(nb_sum), np.nan)
    nb_slope = _masked_mean(_slopes(np.log1p(counts)), near)
    totals = np.where(observed, counts, 0.0)
    others = totals.sum(axis=1, keepdims=True) - totals  # leave-one-out national count
    other_reported = observed.sum(axis=1, keepdims=True) - observed > 0
    others_log = np.where(other_reported, np.log1p(others), np.nan)
    nat_slope = _slopes(others_log)

    def long(values: np.ndarray) -> np.ndarray:
        frame = pd.DataFrame(values, index=weeks, columns=regions)
        stacked = frame.stack(future_stack=True)
        index = pd.MultiIndex.from_arrays([ordered["week_start"], ordered["region"].astype(str)])
        return stacked.reindex(index).to_numpy(dtype="float64")

    out = pd.DataFrame(
        {
            "nb_rel": long(nb_rel_log) - np.asarray(level, dtype="float64"),
            "nb_slope": long(nb_slope),
            "nat_slope": long(nat_slope),
        }
    )
    return out
