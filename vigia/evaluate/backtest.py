"""Rolling-origin backtests: refit on the past, forecast the next weeks, move the origin on.

At each origin a forecaster sees only weeks up to and including the origin, both when it is
(re)fitted and when it predicts. Models are refitted every ``refit_every`` origins (default 13
weeks, a quarter) on all data up to the first origin of the block; a model class may ask to be
refitted less often (``Forecaster.refit_weeks``, for expensive models), never more often.

Ragged and gapped panels: a region is forecast at an origin only when that week was reported
and the region has at least :data:`MIN_ORIGIN_WEEKS` reported weeks up to it; it is scored only
on target weeks that were reported. Every method is scored on the same rows.
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vigia.errors import VigiaError
from vigia.evaluate.forecast_scores import compare_methods, score_table
from vigia.forecasts.quantiles import QuantileForecast
from vigia.models.base import Forecaster, ForecasterFactory

MIN_ORIGIN_WEEKS = 13  # reported weeks a region needs up to an origin to be forecast there
Progress = Callable[[str], None]


def default_origins(
    panel: pd.DataFrame, years: float = 2, max_horizon: int = 4, min_train_weeks: int = 26
) -> list[pd.Timestamp]:
    """Origins over the last ``years`` of data whose ``max_horizon`` target is observed and
    which leave at least ``min_train_weeks`` weeks to fit on.

    For the Peru panel (2019-W01 … 2022-W52) and 2 years: 2021-W01 … 2022-W48.
    """
    weeks = pd.DatetimeIndex(sorted(panel["week_start"].unique()))
    last_origin = weeks[-1] - pd.Timedelta(weeks=max_horizon)
    first_origin = weeks[-1] - pd.Timedelta(weeks=52 * years) + pd.Timedelta(weeks=1)
    if len(weeks) > min_train_weeks:
        first_origin = max(first_origin, weeks[min_train_weeks - 1])
    chosen = weeks[(weeks >= first_origin) & (weeks <= last_origin)]
    if len(weeks) < min_train_weeks + max_horizon or len(chosen) == 0:
        raise VigiaError(
            f"panel too short for a backtest: {len(weeks)} weeks, need at least "
            f"{min_train_weeks + max_horizon} ({min_train_weeks} to fit on + {max_horizon} ahead)"
        )
    return list(chosen)


def forecastable(
    panel: pd.DataFrame, origins: Iterable[pd.Timestamp], min_weeks: int = MIN_ORIGIN_WEEKS
) -> pd.MultiIndex:
    """The (region, origin) pairs a backtest forecasts: the origin week was reported and the
    region has at least ``min_weeks`` reported weeks up to and including it."""
    ordered = panel.sort_values(["region", "week_start"])
    known = ordered["cases"].notna()
    count = known.astype("int64").groupby(ordered["region"], sort=False).cumsum()
    ok = known & (count >= min_weeks) & ordered["week_start"].isin(pd.DatetimeIndex(list(origins)))
    return pd.MultiIndex.from_arrays(
        [ordered.loc[ok, "region"].astype(str), ordered.loc[ok, "week_start"]],
        names=["region", "origin"],
    )


def keep_forecastable(forecast: QuantileForecast, allowed: pd.MultiIndex) -> QuantileForecast:
    """The rows of ``forecast`` whose (region, origin) is in ``allowed``."""
    keys = pd.MultiIndex.from_arrays([forecast.keys["region"].astype(str), forecast.keys["origin"]])
    return forecast.take(keys.isin(allowed))


@dataclass
class BacktestResult:
    """Forecasts and scores of every method over the same origins."""

    forecasts: dict[str, QuantileForecast]
    tables: dict[str, pd.DataFrame]
    origins: list[pd.Timestamp]
    summary: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    refit_every: int = 13
    refit_blocks: dict[str, int] = field(default_factory=dict)

    def scores_json(self) -> dict[str, Any]:
        """The ``scores.json`` document."""
        any_forecast = next(iter(self.forecasts.values()))
        return {
            "methods": self.summary["methods"],
            "by_horizon": self.summary["by_horizon"],
            "by_region": self.summary["by_region"],
            "regions": int(any_forecast.keys["region"].nunique()),
            "region_origins": self.summary.get("region_origins", {}),
            "origins": len(self.origins),
            "first_origin": f"{self.origins[0]:%Y-%m-%d}",
            "last_origin": f"{self.origins[-1]:%Y-%m-%d}",
            "horizons": list(any_forecast.horizons),
            "quantile_levels": list(any_forecast.levels),
            "refit_every": self.refit_every,
            "refit_every_by_method": {
                name: self.refit_every * blocks for name, blocks in self.refit_blocks.items()
            },
            "seconds": {name: round(value, 2) for name, value in self.seconds.items()},
        }


@dataclass(frozen=True)
class BacktestPlan:
    """What a backtest forecasts: its origins, cut into refit blocks, and how many blocks each
    method keeps a fitted model for. Pure in the panel and the settings, so every shard of a
    split backtest computes the same plan."""

    origins: list[pd.Timestamp]
    refit_every: int
    every: dict[str, int]  # method → blocks between refits

    @property
    def blocks(self) -> list[list[pd.Timestamp]]:
        step = self.refit_every
        return [self.origins[i : i + step] for i in range(0, len(self.origins), step)]

    @property
    def group(self) -> int:
        """Blocks after which every method refits at once: a shard starting at a multiple of
        this fits exactly the models the single run fits there."""
        return math.lcm(*self.every.values())

    def shards(self, count: int) -> list[tuple[int, int]]:
        """At most ``count`` contiguous (first, stop) block ranges covering every block, each
        starting where all methods refit (whole fit groups, as even as possible)."""
        if count < 1:
            raise VigiaError(f"backtest shards must be at least 1, got {count}")
        n_blocks = len(self.blocks)
        groups = math.ceil(n_blocks / self.group)
        count = min(count, groups)
        cuts = [-(-i * groups // count) * self.group for i in range(count + 1)]  # ceil
        return [(first, min(stop, n_blocks)) for first, stop in itertools.pairwise(cuts)]


@dataclass
class ShardResult:
    """Forecasts of every method over a range of refit blocks, and the seconds each took."""

    first: int
    stop: int
    forecasts: dict[str, QuantileForecast]
    seconds: dict[str, float]


def plan_backtest(
    panel: pd.DataFrame,
    factories: Mapping[str, ForecasterFactory],
    origins: Iterable[pd.Timestamp] | None = None,
    refit_every: int = 13,
    baseline: str = "persistence",
) -> BacktestPlan:
    """The plan of :func:`rolling_origin_backtest` (same arguments)."""
    if baseline not in factories:
        raise VigiaError(f"baseline method {baseline!r} is not among the methods backtested")
    chosen = sorted(pd.Timestamp(o) for o in (origins or default_origins(panel)))
    if len(forecastable(panel, chosen)) == 0:
        raise VigiaError(
            f"no region has a reported week with {MIN_ORIGIN_WEEKS} reported weeks of history "
            f"at any backtest origin ({chosen[0]:%Y-%m-%d} … {chosen[-1]:%Y-%m-%d})"
        )
    every = {
        name: max(1, math.ceil(factory().refit_weeks / refit_every))
        for name, factory in factories.items()
    }
    return BacktestPlan(origins=chosen, refit_every=refit_every, every=every)


def run_blocks(
    panel: pd.DataFrame,
    factories: Mapping[str, ForecasterFactory],
    plan: BacktestPlan,
    first: int = 0,
    stop: int | None = None,
    progress: Progress | None = None,
) -> ShardResult:
    """Backtest blocks ``first`` … ``stop - 1`` of ``plan`` (default: all). ``first`` must be a
    block where every method refits (a multiple of ``plan.group``)."""
    blocks = plan.blocks
    stop = len(blocks) if stop is None else stop
    if first % plan.group or not 0 <= first < stop <= len(blocks):
        raise VigiaError(
            f"backtest shard blocks {first}…{stop - 1} do not start a fit group of "
            f"{plan.group} blocks within the {len(blocks)} blocks"
        )
    allowed = forecastable(panel, plan.origins)
    collected: dict[str, list[QuantileForecast]] = {name: [] for name in factories}
    seconds = dict.fromkeys(factories, 0.0)
    models: dict[str, Forecaster] = {}
    for number in range(first, stop):
        block = blocks[number]
        for name, factory in factories.items():
            started = time.perf_counter()
            if number % plan.every[name] == 0:
                models[name] = factory().fit(panel[panel["week_start"] <= block[0]])
            # The model is not even handed weeks after the block's last origin.
            visible = panel[panel["week_start"] <= block[-1]]
            forecast = models[name].predict_origins(visible, block)
            collected[name].append(keep_forecastable(forecast, allowed))
            seconds[name] += time.perf_counter() - started
        if progress:
            progress(
                f"backtest block {number + 1}/{len(blocks)} (origins {block[0]:%Y-%m-%d} … "
                f"{block[-1]:%Y-%m-%d}) done"
            )
    forecasts = {name: QuantileForecast.concat(parts) for name, parts in collected.items()}
    return ShardResult(first=first, stop=stop, forecasts=forecasts, seconds=seconds)


def merge_shards(
    panel: pd.DataFrame,
    plan: BacktestPlan,
    shards: Iterable[ShardResult],
    baseline: str = "persistence",
) -> BacktestResult:
    """Stack the shards' forecasts in block order (they must cover every block once) and score
    them: the result of the single run."""
    ordered = sorted(shards, key=lambda shard: shard.first)
    covered = [(shard.first, shard.stop) for shard in ordered]
    expected = list(itertools.pairwise([0, *(stop for _, stop in covered)]))
    if not ordered or covered != expected or covered[-1][1] != len(plan.blocks):
        raise VigiaError(
            f"backtest shards cover blocks {covered}, not 0…{len(plan.blocks) - 1} once each"
        )
    names = list(ordered[0].forecasts)
    forecasts = {n: QuantileForecast.concat([s.forecasts[n] for s in ordered]) for n in names}
    tables = {name: score_table(f, panel) for name, f in forecasts.items()}
    if any(table.empty for table in tables.values()):
        raise VigiaError("no forecast of the backtest has a reported target week to score")
    result = BacktestResult(
        forecasts=forecasts,
        tables=tables,
        origins=plan.origins,
        seconds={n: sum(s.seconds[n] for s in ordered) for n in names},
        refit_every=plan.refit_every,
        refit_blocks=dict(plan.every),
    )
    result.summary = compare_methods(tables, baseline=baseline)
    return result


def rolling_origin_backtest(
    panel: pd.DataFrame,
    factories: Mapping[str, ForecasterFactory],
    origins: Iterable[pd.Timestamp] | None = None,
    refit_every: int = 13,
    baseline: str = "persistence",
    progress: Progress | None = None,
) -> BacktestResult:
    """Backtest every method on the same origins and score them against ``baseline``: the plan,
    all its blocks in one shard, the merge (a split backtest runs the same three).

    Args:
        panel: Validated weekly panel.
        factories: Method name → callable returning a fresh, unfitted forecaster.
        origins: Forecast origins (week starts); default :func:`default_origins`.
        refit_every: Refit each model every this many origins — or, for a model whose
            ``refit_weeks`` is larger (expensive models), every ``refit_weeks`` rounded up to a
            multiple of ``refit_every``. Between refits a model keeps its parameters and
            forecasts from the newer weeks.
        baseline: Method the relative scores are computed against (must be in ``factories``).
        progress: Called with a short message after each refit block.
    """
    plan = plan_backtest(panel, factories, origins, refit_every, baseline)
    shard = run_blocks(panel, factories, plan, progress=progress)
    return merge_shards(panel, plan, [shard], baseline)
