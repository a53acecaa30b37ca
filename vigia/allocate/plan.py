"""An allocation plan: forecast quantiles → resource demand per region → units per region.

Demand over the window of ``weeks`` is ``units_per_case × (cases in weeks 1…W)``. Its quantiles
are the sums of the weekly quantiles at the same level, i.e. the weeks are taken as moving
together (comonotone): a region that runs high in week 1 runs high in week 4 too, which is how
outbreaks behave and errs on the side of wider demand ranges.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vigia.allocate.newsvendor import (
    demand_knots,
    expected_shortfall,
    newsvendor_allocation,
    shortage_probability,
)
from vigia.allocate.population import population_for
from vigia.allocate.resources import Resource
from vigia.errors import VigiaError
from vigia.forecasts.quantiles import QuantileForecast

PER = 100_000.0
STALE_WEEKS = 4  # a region whose last report is older than this is left out of a live plan


@dataclass
class Demand:
    """Demand quantiles of one resource per region over a window of weeks."""

    regions: list[str]
    levels: np.ndarray
    values: np.ndarray  # (regions, levels), units of the resource
    origin: pd.Timestamp
    weeks: int
    # ragged panels: regions whose last reported week is before ``origin`` (their own
    # forecast is used), and regions left out because their last report is too old
    earlier: dict[str, pd.Timestamp] = field(default_factory=dict)
    left_out: dict[str, pd.Timestamp] = field(default_factory=dict)

    def quantile(self, level: float) -> np.ndarray:
        return self.values[:, int(np.argmin(np.abs(self.levels - level)))]


def window_demand(
    forecast: QuantileForecast,
    weeks: int,
    units_per_case: float,
    origin: pd.Timestamp | None = None,
) -> Demand:
    """Demand quantiles over horizons 1…``weeks`` for the forecasts made at ``origin``.

    Args:
        forecast: Quantile forecasts; one row per region at ``origin``.
        weeks: Window length in weeks (1 … the forecast's largest horizon).
        units_per_case: Resource units needed per case.
        origin: Which origin to use; default the latest in ``forecast``, and then each region
            whose last reported week is up to ``STALE_WEEKS`` earlier (a ragged panel) uses
            its own latest forecast; regions with older reports are left out (and named).
    """
    horizons = list(forecast.horizons)
    if not 1 <= weeks <= max(horizons) or any(h not in horizons for h in range(1, weeks + 1)):
        raise VigiaError(
            f"--weeks must be between 1 and {max(horizons)} (the forecast's horizons), got {weeks}"
        )
    keys = forecast.keys
    chosen = pd.Timestamp(origin) if origin is not None else keys["origin"].max()
    earlier: dict[str, pd.Timestamp] = {}
    left_out: dict[str, pd.Timestamp] = {}
    if origin is None:
        latest = keys.groupby("region")["origin"].transform("max")
        rows = np.flatnonzero((keys["origin"] == latest).to_numpy())
        recent = keys["origin"].iloc[rows] >= chosen - pd.Timedelta(weeks=STALE_WEEKS)
        for region, when in keys.iloc[rows].itertuples(index=False):
            if when < chosen:
                (earlier if when >= chosen - pd.Timedelta(weeks=STALE_WEEKS) else left_out)[
                    str(region)
                ] = pd.Timestamp(when)
        rows = rows[recent.to_numpy()]
    else:
        rows = np.flatnonzero((keys["origin"] == chosen).to_numpy())
    if rows.size == 0:
        raise VigiaError(f"no forecast made at origin {chosen:%Y-%m-%d}")
    columns = [horizons.index(h) for h in range(1, weeks + 1)]
    cases = forecast.values[rows][:, columns, :].sum(axis=1)
    return Demand(
        regions=keys["region"].iloc[rows].astype(str).tolist(),
        levels=np.asarray(forecast.levels, dtype="float64"),
        values=units_per_case * cases,
        origin=chosen,
        weeks=weeks,
        earlier=earlier,
        left_out=left_out,
    )


def equity_floors(population: np.ndarray, floor_per_100k: float) -> np.ndarray:
    """Units each region gets before any optimisation: ⌈floor × population / 100,000⌉."""
    if not math.isfinite(floor_per_100k) or floor_per_100k < 0:
        raise VigiaError(f"--floor-per-100k must be ≥ 0, got {floor_per_100k}")
    return np.ceil(floor_per_100k * np.asarray(population, dtype="float64") / PER - 1e-9).astype(
        "int64"
    )


def check_budget(budget: float) -> int:
    """The budget as whole units; fractional, negative or non-finite budgets are refused."""
    if not math.isfinite(budget) or budget < 0 or budget != int(budget):
        raise VigiaError(f"--budget must be a whole number of units ≥ 0, got {budget:g}")
    return int(budget)


def floors_within_budget(
    population: np.ndarray, floor_per_100k: float, budget: int, unit: str = "units"
) -> np.ndarray:
    """Equity floors, or a clear error when the floor alone exceeds the budget."""
    floors = equity_floors(population, floor_per_100k)
    needed = int(floors.sum())
    if needed > budget:
        most = math.floor(budget * PER / float(np.sum(population)) * 100) / 100
        raise VigiaError(
            f"the equity floor alone needs {needed:,} {unit} ({floor_per_100k:g} per 100,000 "
            f"people in {len(floors)} regions, {float(np.sum(population)):,.0f} people) but the "
            f"budget is {budget:,}; lower --floor-per-100k to about {most:g} or raise --budget"
        )
    return floors


@dataclass
class AllocationPlan:
    """The allocation of one resource, with the demand it answers and what is left uncovered."""

    resource: Resource
    budget: int
    weeks: int
    floor_per_100k: float
    origin: pd.Timestamp
    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def allocated(self) -> int:
        return int(self.table["allocated"].sum())

    @property
    def reserve(self) -> int:
        return self.budget - self.allocated

    def to_dict(self) -> dict[str, Any]:
        """The JSON document (``allocation.json``)."""
        return {
            "resource": self.resource.to_dict(),
            "budget": self.budget,
            "allocated": self.allocated,
            "reserve": self.reserve,
            "weeks": self.weeks,
            "floor_per_100k": self.floor_per_100k,
            "forecast_origin": f"{self.origin:%Y-%m-%d}",
            "window": [
                f"{self.origin + pd.Timedelta(weeks=1):%Y-%m-%d}",
                f"{self.origin + pd.Timedelta(weeks=self.weeks):%Y-%m-%d}",
            ],
            "expected_unmet_total": float(self.table["expected_unmet"].sum()),
            **self.meta,
            "regions": self.table.astype(object)
            .where(self.table.notna(), None)
            .to_dict(orient="records"),
        }

    def format_table(self) -> str:
        """The allocation as aligned text, largest allocation first."""
        r = self.resource
        head = (
            f"{r.label_en} ({r.unit}s) for weeks {self.origin + pd.Timedelta(weeks=1):%Y-%m-%d} "
            f"… {self.origin + pd.Timedelta(weeks=self.weeks):%Y-%m-%d}; budget {self.budget:,}, "
            f"floor {self.floor_per_100k:g} per 100k"
        )
        cols = f"{'region':<16} {'allocated':>10} {'per 100k':>9} {'demand p50':>11} "
        cols += f"{'p90':>9} {'exp. unmet':>11} {'P(short)':>9}"
        lines = [head, cols, "-" * len(cols)]
        for row in self.table.itertuples(index=False):
            per = "" if np.isnan(row.per_100k) else f"{row.per_100k:9.1f}"
            lines.append(
                f"{row.region:<16} {row.allocated:>10,} {per:>9} {row.demand_p50:>11,.1f} "
                f"{row.demand_p90:>9,.1f} {row.expected_unmet:>11,.1f} {row.prob_short:>9.2f}"
            )
        lines.append("-" * len(cols))
        lines.append(
            f"{'total':<16} {self.allocated:>10,} {'':>9} {self.table['demand_p50'].sum():>11,.1f} "
            f"{'':>9} {self.table['expected_unmet'].sum():>11,.1f}"
        )
        for key, what in (
            ("forecast_from_earlier_week", "forecast from its last reported week"),
            ("left_out_no_recent_report", f"left out: no report in the last {STALE_WEEKS} weeks"),
        ):
            if self.meta.get(key):
                named = ", ".join(f"{r} ({w})" for r, w in self.meta[key].items())
                lines.append(f"{what}: {named}")
        if self.reserve:
            lines.append(
                f"reserve: {self.reserve:,} {r.unit}s not allocated (every region is covered up "
                "to its highest forecast demand)"
            )
        return "\n".join(lines)


def plan_allocation(
    forecast: QuantileForecast,
    resource: Resource,
    budget: float,
    population: pd.Series | None,
    weeks: int = 4,
    floor_per_100k: float = 0.0,
    origin: pd.Timestamp | None = None,
) -> AllocationPlan:
    """Allocate ``budget`` units of ``resource`` to minimise expected unmet demand.

    Args:
        forecast: Quantile forecasts (one row per region at the origin used).
        resource: What is allocated and its units per case.
        budget: Units available (whole number).
        population: Population per region (needed for a floor; used for per-100k figures).
        weeks: Window of weeks ahead the resource must cover.
        floor_per_100k: Equity floor: at least this many units per 100,000 people per region.
        origin: Forecast origin to use; default the latest.
    """
    units = check_budget(budget)
    demand = window_demand(forecast, weeks, resource.units_per_case, origin)
    if floor_per_100k > 0:
        if population is None:
            raise VigiaError("an equity floor needs region populations (--population FILE)")
        people = population_for(demand.regions, population).to_numpy()
    elif population is not None:  # per-100k figures where the population is known
        people = population.reindex(demand.regions).to_numpy(dtype="float64")
    else:
        people = np.full(len(demand.regions), np.nan)
    floors = (
        floors_within_budget(people, floor_per_100k, units, resource.unit + "s")
        if floor_per_100k > 0
        else np.zeros(len(demand.regions), "int64")
    )
    u, x = demand_knots(demand.values, demand.levels)
    allocated = newsvendor_allocation(u, x, units, floors)
    table = pd.DataFrame(
        {
            "region": demand.regions,
            "population": people,
            "floor": floors,
            "allocated": allocated,
            "per_100k": allocated / people * PER,
            "demand_p05": demand.quantile(0.05),
            "demand_p50": demand.quantile(0.5),
            "demand_p90": demand.quantile(0.9),
            "demand_p95": demand.quantile(0.95),
            "expected_unmet": expected_shortfall(u, x, allocated.astype("float64")),
            "prob_short": shortage_probability(u, x, allocated),
        }
    )
    table = table.sort_values(["allocated", "region"], ascending=[False, True], ignore_index=True)
    meta: dict[str, Any] = {}
    if demand.earlier:
        meta["forecast_from_earlier_week"] = {r: f"{w:%Y-%m-%d}" for r, w in demand.earlier.items()}
    if demand.left_out:
        meta["left_out_no_recent_report"] = {r: f"{w:%Y-%m-%d}" for r, w in demand.left_out.items()}
    return AllocationPlan(
        resource=resource,
        budget=units,
        weeks=weeks,
        floor_per_100k=float(floor_per_100k),
        origin=pd.Timestamp(demand.origin),
        table=table,
        meta=meta,
    )
