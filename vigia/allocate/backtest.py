"""Backtest of allocation rules over past forecast origins: how much demand each left unmet.

At every origin the same budget is split by each rule, then compared with the demand that
actually followed (``units_per_case × observed cases`` in weeks 1…W):

- ``forecast:<method>`` — the newsvendor on that method's quantile forecast (made with data up to
  the origin only, by :func:`vigia.evaluate.backtest.rolling_origin_backtest`);
- ``last_4_weeks`` — in proportion to each region's cases in the 4 weeks up to the origin;
- ``population`` — in proportion to population.

The budget at an origin is known at that origin: ``budget_factor`` × the units the whole country
needed over the last ``weeks`` weeks (so a factor of 1 buys as much as was needed recently).
Every rule applies the same equity floor first. Unmet demand = Σ over regions and origins of
``max(0, actual demand − allocation)``; part of it is unavoidable when the country's demand
exceeds the budget, and is reported separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vigia.allocate.newsvendor import demand_knots, newsvendor_allocation, proportional_allocation
from vigia.allocate.plan import equity_floors, window_demand
from vigia.allocate.population import population_for
from vigia.allocate.resources import Resource
from vigia.errors import VigiaError
from vigia.forecasts.quantiles import QuantileForecast

LOOKBACK = 4
NAIVE_RULES = ("last_4_weeks", "population")


@dataclass
class AllocationBacktest:
    """Unmet demand per origin and rule, and the summary."""

    per_origin: pd.DataFrame  # origin, budget, actual, unavoidable, <rule>…
    rules: list[str]
    resource: Resource
    weeks: int
    budget_factor: float
    floor_per_100k: float

    def summary(self) -> dict[str, Any]:
        """Totals per rule and the forecast rules' reduction vs ``last_4_weeks``."""
        frame = self.per_origin
        actual = float(frame["actual"].sum())
        unavoidable = float(frame["unavoidable"].sum())
        totals = {rule: float(frame[rule].sum()) for rule in self.rules}
        reference = totals["last_4_weeks"]
        rules = {
            rule: {
                "unmet": total,
                "unmet_share_of_demand": total / actual if actual else 0.0,
                "avoidable_unmet": total - unavoidable,
                "vs_last_4_weeks": (total / reference - 1.0) if reference else 0.0,
                "origins_better_than_last_4_weeks": int(
                    (frame[rule] < frame["last_4_weeks"]).sum()
                ),
            }
            for rule, total in totals.items()
        }
        return {
            "resource": self.resource.name,
            "unit": self.resource.unit,
            "weeks": self.weeks,
            "budget_factor": self.budget_factor,
            "floor_per_100k": self.floor_per_100k,
            "origins": len(frame),
            "first_origin": f"{frame['origin'].min():%Y-%m-%d}",
            "last_origin": f"{frame['origin'].max():%Y-%m-%d}",
            "actual_demand": actual,
            "budget_total": float(frame["budget"].sum()),
            "unavoidable_unmet": unavoidable,
            "rules": rules,
        }


def _cases_between(panel: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.Series:
    inside = panel[(panel["week_start"] >= first) & (panel["week_start"] <= last)]
    return inside.groupby("region")["cases"].sum()


def backtest_allocation(
    panel: pd.DataFrame,
    forecasts: dict[str, QuantileForecast],
    resource: Resource,
    population: pd.Series,
    weeks: int = 4,
    budget_factor: float = 1.0,
    floor_per_100k: float = 0.0,
) -> AllocationBacktest:
    """Unmet demand of the forecast-driven and naive rules at every common origin.

    Args:
        panel: The observed weekly panel (actuals and recent cases come from it).
        forecasts: Method name → backtest forecasts (every region at every origin).
        resource: Resource allocated.
        population: Population per region (for the population rule and the floor).
        weeks: Window each allocation covers (weeks 1…W after the origin).
        budget_factor: Budget at an origin = factor × national demand of the last ``weeks`` weeks.
        floor_per_100k: Equity floor applied first by every rule.
    """
    if not forecasts:
        raise VigiaError("no forecasts to backtest")
    if budget_factor <= 0:
        raise VigiaError(f"--budget-factor must be > 0, got {budget_factor}")
    origins = sorted(set.intersection(*(set(f.keys["origin"]) for f in forecasts.values())))
    last_week = panel["week_start"].max()
    origins = [o for o in origins if o + pd.Timedelta(weeks=weeks) <= last_week]
    if not origins:
        raise VigiaError("no origin whose whole allocation window has been observed")
    per_case = resource.units_per_case
    rules = [f"forecast:{name}" for name in forecasts] + list(NAIVE_RULES)
    rows = []
    for origin in origins:
        demands = {name: window_demand(f, weeks, per_case, origin) for name, f in forecasts.items()}
        regions = next(iter(demands.values())).regions
        people = population_for(regions, population).to_numpy()
        actual_cases = _cases_between(
            panel, origin + pd.Timedelta(weeks=1), origin + pd.Timedelta(weeks=weeks)
        )
        actual = per_case * actual_cases.reindex(regions, fill_value=0.0).to_numpy()
        recent = _cases_between(panel, origin - pd.Timedelta(weeks=LOOKBACK - 1), origin)
        recent = recent.reindex(regions, fill_value=0.0).to_numpy()
        recent_window = _cases_between(panel, origin - pd.Timedelta(weeks=weeks - 1), origin)
        budget = round(budget_factor * per_case * float(recent_window.sum()))
        floors = equity_floors(people, floor_per_100k)
        budget = max(budget, int(floors.sum()))
        allocations = {}
        for name, demand in demands.items():
            if demand.regions != regions:
                raise VigiaError(f"forecasts of {name} cover other regions at {origin:%Y-%m-%d}")
            u, x = demand_knots(demand.values, demand.levels)
            allocations[f"forecast:{name}"] = newsvendor_allocation(u, x, budget, floors)
        allocations["last_4_weeks"] = proportional_allocation(recent, budget, floors)
        allocations["population"] = proportional_allocation(people, budget, floors)
        row: dict[str, Any] = {
            "origin": origin,
            "budget": budget,
            "actual": float(actual.sum()),
            "unavoidable": max(0.0, float(actual.sum()) - budget),
        }
        for rule, allocation in allocations.items():
            row[rule] = float(np.clip(actual - allocation, 0.0, None).sum())
        rows.append(row)
    return AllocationBacktest(
        per_origin=pd.DataFrame(rows),
        rules=rules,
        resource=resource,
        weeks=weeks,
        budget_factor=float(budget_factor),
        floor_per_100k=float(floor_per_100k),
    )


def format_backtest(summary: dict[str, Any]) -> str:
    """The rule table as Markdown, best rule first."""
    unit = summary["unit"]
    lines = [
        f"| rule | unmet demand ({unit}s) | share of demand | avoidable unmet | "
        "vs last 4 weeks | origins better than last 4 weeks |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ranked = sorted(summary["rules"].items(), key=lambda kv: kv[1]["unmet"])
    for rule, s in ranked:
        lines.append(
            f"| {rule} | {s['unmet']:,.0f} | {s['unmet_share_of_demand']:.1%} | "
            f"{s['avoidable_unmet']:,.0f} | {s['vs_last_4_weeks']:+.1%} | "
            f"{s['origins_better_than_last_4_weeks']}/{summary['origins']} |"
        )
    return "\n".join(lines)


def forecast_backtests(
    panel: pd.DataFrame,
    method: str,
    years: float = 2.0,
    refit_every: int = 13,
    seed: int = 0,
    progress: Any = None,
) -> dict[str, QuantileForecast]:
    """Past forecasts of ``method`` and the baselines, each made with data up to its origin.

    Uses the training pipeline's backtest (same origins, refits and baselines as the gate).
    """
    from vigia.training import backtest_methods

    result = backtest_methods(
        panel, [method], seed=seed, years=years, refit_every=refit_every, progress=progress
    )
    return result.forecasts
