"""The hybrid forecaster: a weighted quantile average of member models (LSTM, XGBoost and any
member that earns its place), with weights and spread learned on out-of-sample forecasts only.

``fit(panel)``:

1. *Out-of-sample folds*: for each of the last ``folds`` blocks of ``fold_weeks`` weeks of the
   panel, every member is fitted on the weeks before the block and forecasts from each week of
   the block (exactly as in the backtest). These forecasts never saw their targets.
2. *Weights*: per horizon, the member weights on a simplex grid that minimise WIS of the
   weighted quantile average on those forecasts (a member with weight 0 has not earned its place
   and is dropped).
3. *Spread*: per horizon, a factor that widens or narrows the combined quantiles around the
   median (log1p scale) where that lowers out-of-sample WIS.
4. The members with non-zero weight are refitted on the whole panel.

Panels too short for any fold get equal weights and no spread correction. Serving needs only
xgboost and onnxruntime (the LSTM runs as ONNX), never TensorFlow.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.forecasts.wis import observed
from vigia.models.base import Forecaster, forecast_block, load_forecaster
from vigia.models.baselines import Persistence
from vigia.models.boosted import BoostedForecaster
from vigia.models.classical import AutoARIMAForecaster, AutoETSForecaster
from vigia.models.combine import combine, learn_spread, learn_weights, scale_spread
from vigia.models.count_ar import CountARForecaster
from vigia.models.lstm import LSTMForecaster
from vigia.models.xgboost_forecaster import XGBoostForecaster

STATE_FILE = "hybrid.json"
MIN_FOLD_TRAIN_WEEKS = 26  # a fold needs at least this many weeks before it to fit members
MEMBERS: dict[str, type[Forecaster]] = {
    "boosted": BoostedForecaster,
    "count_ar": CountARForecaster,
    "xgboost": XGBoostForecaster,
    "lstm": LSTMForecaster,
    "autoets": AutoETSForecaster,
    "autoarima": AutoARIMAForecaster,
    "persistence": Persistence,
}
SEEDED = {"boosted", "xgboost", "lstm"}
# The default members (issue 13) and the previous default, kept as the `hybrid_v1` method.
DEFAULT_MEMBERS = ("boosted", "xgboost", "lstm", "count_ar", "persistence")
V1_MEMBERS = ("xgboost", "lstm", "autoets", "persistence")


class HybridForecaster(Forecaster):
    """Weighted quantile average of member forecasters, weights learned out of sample."""

    name = "hybrid"
    min_history = max(factory.min_history for factory in MEMBERS.values())
    refit_weeks = 26  # backtests refit it half as often as the others (see docs/forecasting.md)

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        members: Sequence[str] = DEFAULT_MEMBERS,
        folds: int = 1,
        fold_weeks: int = 52,
        weight_step: float = 0.1,
        per_horizon: bool = False,
        tolerance: float = 0.0,
        calibrate: bool = False,
        seed: int = 0,
        member_params: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(horizons, levels)
        unknown = sorted(set(members) - set(MEMBERS))
        if unknown:
            raise ValueError(f"unknown hybrid member(s): {', '.join(unknown)}")
        self.members = tuple(members)
        self.folds = int(folds)
        self.fold_weeks = int(fold_weeks)
        self.weight_step = float(weight_step)
        self.per_horizon = bool(per_horizon)
        self.tolerance = float(tolerance)
        self.calibrate = bool(calibrate)
        self.seed = int(seed)
        self.member_params = {k: dict(v) for k, v in (member_params or {}).items()}
        self.weights = np.full((len(self.members), len(self.horizons)), 1 / len(self.members))
        self.spread = np.ones(len(self.horizons))
        self.fitted: dict[str, Forecaster] = {}
        self.fold_origins = 0

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "members": list(self.members),
            "folds": self.folds,
            "fold_weeks": self.fold_weeks,
            "weight_step": self.weight_step,
            "per_horizon": self.per_horizon,
            "tolerance": self.tolerance,
            "calibrate": self.calibrate,
            "seed": self.seed,
            "member_params": self.member_params,
        }

    def _member(self, name: str) -> Forecaster:
        factory = MEMBERS[name]
        kwargs: dict[str, Any] = {"horizons": self.horizons, "levels": self.levels}
        if name in SEEDED:
            kwargs["seed"] = self.seed
        return factory(**kwargs, **self.member_params.get(name, {}))

    # --- fitting -------------------------------------------------------------------------------
    def fold_blocks(self, panel: pd.DataFrame) -> list[list[pd.Timestamp]]:
        """The out-of-sample blocks: the last ``folds`` runs of ``fold_weeks`` weeks whose
        targets are at least partly observed and which leave enough weeks to fit on."""
        weeks = pd.DatetimeIndex(sorted(panel["week_start"].unique()))
        usable = weeks[:-1]  # the last week has no observed target
        blocks = []
        for k in range(self.folds, 0, -1):
            start = len(usable) - k * self.fold_weeks
            if start < MIN_FOLD_TRAIN_WEEKS:
                continue
            blocks.append(list(usable[start : start + self.fold_weeks]))
        return blocks

    def out_of_sample(self, panel: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        """Members' out-of-sample forecasts ``(members, rows, horizons, levels)`` over the fold
        blocks and the observed values ``(rows, horizons)`` (NaN past the panel's end)."""
        per_member: list[list[QuantileForecast]] = [[] for _ in self.members]
        try:
            for block in self.fold_blocks(panel):
                for m, name in enumerate(self.members):
                    per_member[m].append(forecast_block(panel, partial(self._member, name), block))
        except VigiaError:  # a member cannot train on the weeks before a fold: equal weights
            per_member = [[] for _ in self.members]
        if not per_member[0]:
            return np.empty((len(self.members), 0, len(self.horizons), len(self.levels))), np.empty(
                (0, len(self.horizons))
            )
        forecasts = _aligned([QuantileForecast.concat(parts) for parts in per_member])
        values = np.stack([f.values for f in forecasts])
        return values, observed(forecasts[0], panel)

    def learn(self, panel: pd.DataFrame) -> None:
        values, y = self.out_of_sample(panel)
        self.fold_origins = int(values.shape[1])
        self.weights = np.full((len(self.members), len(self.horizons)), 1 / len(self.members))
        self.spread = np.ones(len(self.horizons))
        if np.isfinite(y).sum() > 0:
            self.weights = learn_weights(
                values, self.levels, y, self.weight_step, self.per_horizon, self.tolerance
            )
            if self.calibrate:
                self.spread = learn_spread(combine(values, self.weights), self.levels, y)
        self.fitted = {
            name: self._member(name).fit(panel)
            for name, w in zip(self.members, self.weights, strict=True)
            if w.sum() > 0
        }

    # --- prediction ----------------------------------------------------------------------------
    def _combine(self, forecasts: list[QuantileForecast]) -> QuantileForecast:
        values = self._combine_values(np.stack([f.values for f in forecasts]))
        return QuantileForecast(forecasts[0].keys, values, self.horizons, self.levels)

    def _combine_values(self, stacked: np.ndarray) -> np.ndarray:
        """The hybrid's quantiles from its active members' ``(members, rows, horizons, levels)``."""
        active = [m for m, name in enumerate(self.members) if name in self.fitted]
        values = combine(stacked, self.weights[active])
        return finalize_quantiles(scale_spread(values, self.spread, self.levels.index(0.5)))

    def _active(self) -> list[Forecaster]:
        return [self.fitted[name] for name in self.members if name in self.fitted]

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        forecasts = [model.predict(history) for model in self._active()]
        return self._combine(_aligned(forecasts))

    @property
    def builds_arrays(self) -> bool:
        return all(model.builds_arrays for model in self._active())

    def predict_series(self, series: Sequence[np.ndarray], origins: np.ndarray) -> np.ndarray:
        return self._combine_values(
            np.stack([model.predict_series(series, origins) for model in self._active()])
        )

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        forecasts = [model.predict_origins(panel, origins) for model in self._active()]
        return self._combine(_aligned(forecasts))

    # --- persistence ---------------------------------------------------------------------------
    def save_state(self, folder: Path) -> None:
        state = {
            "weights": {name: self.weights[m].tolist() for m, name in enumerate(self.members)},
            "spread": self.spread.tolist(),
            "fold_origins": self.fold_origins,
        }
        (folder / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")
        for name, model in self.fitted.items():
            model.save(folder / "members" / name)

    def load_state(self, folder: Path) -> None:
        state = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        self.weights = np.array([state["weights"][name] for name in self.members])
        self.spread = np.asarray(state["spread"], dtype="float64")
        self.fold_origins = int(state["fold_origins"])
        self.fitted = {
            name: load_forecaster(folder / "members" / name)
            for name in self.members
            if (folder / "members" / name).exists()
        }

    def describe(self) -> dict[str, Any]:
        """Weights per member and horizon, spread factors: for reports and the model card."""
        return {
            "weights": {
                name: dict(zip(self.horizons, self.weights[m].round(3).tolist(), strict=True))
                for m, name in enumerate(self.members)
            },
            "spread": dict(zip(self.horizons, self.spread.tolist(), strict=True)),
            "fold_origins": self.fold_origins,
        }


def _aligned(forecasts: list[QuantileForecast]) -> list[QuantileForecast]:
    """Member forecasts on the (region, origin) rows all of them have, in the first one's order
    (on a ragged panel a member may leave out a region it cannot forecast at an origin)."""
    indexes = [pd.MultiIndex.from_frame(f.keys) for f in forecasts]
    common = indexes[0]
    for index in indexes[1:]:
        common = common[common.isin(index)]
    return [
        forecast.take(index.get_indexer(common))
        for forecast, index in zip(forecasts, indexes, strict=True)
    ]
