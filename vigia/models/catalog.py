"""Forecasting methods by name (what pipelines, the CLI and the gate refer to)."""

from __future__ import annotations

from collections.abc import Callable

from vigia.errors import VigiaError
from vigia.models.base import Forecaster
from vigia.models.baselines import Constant, Persistence, SeasonalNaive
from vigia.models.classical import AutoARIMAForecaster, AutoETSForecaster
from vigia.models.hybrid import HybridForecaster
from vigia.models.lstm import LSTMForecaster
from vigia.models.xgboost_forecaster import XGBoostForecaster

FORECASTERS: dict[str, Callable[..., Forecaster]] = {
    "persistence": Persistence,
    "seasonal_naive": SeasonalNaive,
    "autoets": AutoETSForecaster,
    "autoarima": AutoARIMAForecaster,
    "xgboost": XGBoostForecaster,
    "lstm": LSTMForecaster,
    "hybrid": HybridForecaster,
    "constant": Constant,
}
BASELINES = ("persistence", "seasonal_naive")
# What `vigia forecast backtest --methods all` and benchmarks/forecast_backtest compare.
BENCHMARKED = ("persistence", "seasonal_naive", "autoets", "autoarima", "xgboost", "lstm", "hybrid")
SEEDED = {"xgboost", "lstm", "hybrid"}


def make_forecaster(method: str, seed: int = 0) -> Forecaster:
    """A fresh, unfitted forecaster of the named method."""
    if method not in FORECASTERS:
        raise VigiaError(
            f"unknown forecasting method {method!r}; choose from {', '.join(sorted(FORECASTERS))}"
        )
    factory = FORECASTERS[method]
    return factory(seed=seed) if method in SEEDED else factory()
