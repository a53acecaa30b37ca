"""Forecasting methods by name (what pipelines, the CLI and the gate refer to)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from vigia.errors import VigiaError
from vigia.models.base import Forecaster
from vigia.models.baselines import Constant, Persistence, SeasonalNaive
from vigia.models.boosted import BoostedForecaster
from vigia.models.classical import AutoARIMAForecaster, AutoETSForecaster
from vigia.models.count_ar import CountARForecaster
from vigia.models.hybrid import V1_MEMBERS, HybridForecaster
from vigia.models.lstm import LSTMForecaster
from vigia.models.xgboost_forecaster import XGBoostForecaster

FORECASTERS: dict[str, Callable[..., Forecaster]] = {
    "persistence": Persistence,
    "seasonal_naive": SeasonalNaive,
    "autoets": AutoETSForecaster,
    "autoarima": AutoARIMAForecaster,
    "xgboost": XGBoostForecaster,
    "boosted": BoostedForecaster,
    "count_ar": CountARForecaster,
    "lstm": LSTMForecaster,
    "hybrid": HybridForecaster,
    # the default before issue 13, kept for comparison
    "hybrid_v1": partial(HybridForecaster, members=V1_MEMBERS),
    "constant": Constant,
}
BASELINES = ("persistence", "seasonal_naive")
# What `vigia forecast backtest --methods all` and benchmarks/forecast_backtest compare.
BENCHMARKED = (
    "persistence",
    "seasonal_naive",
    "autoets",
    "autoarima",
    "count_ar",
    "xgboost",
    "boosted",
    "lstm",
    "hybrid_v1",
    "hybrid",
)
SEEDED = {"xgboost", "boosted", "lstm", "hybrid", "hybrid_v1"}


def make_forecaster(method: str, seed: int = 0) -> Forecaster:
    """A fresh, unfitted forecaster of the named method."""
    if method not in FORECASTERS:
        raise VigiaError(
            f"unknown forecasting method {method!r}; choose from {', '.join(sorted(FORECASTERS))}"
        )
    factory = FORECASTERS[method]
    return factory(seed=seed) if method in SEEDED else factory()


def parse_methods(text: str) -> list[str]:
    """Method names from ``"a,b"`` or ``"all"`` (the non-baseline methods of ``BENCHMARKED``)."""
    if text.strip() == "all":
        return [m for m in BENCHMARKED if m not in BASELINES]
    methods = [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in methods if m not in FORECASTERS]
    if unknown or not methods:
        raise VigiaError(
            f"unknown method(s) {', '.join(unknown) or '(none)'}; choose from "
            f"{', '.join(sorted(FORECASTERS))} or 'all'"
        )
    return methods
