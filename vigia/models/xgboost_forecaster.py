"""A global XGBoost quantile forecaster: one model per horizon across all regions.

Target: log1p(cases h weeks ahead) minus the region's recent level (see
:mod:`vigia.features.forecast`), learned with XGBoost's multi-quantile objective so one booster
gives every quantile level. Predicting changes relative to the level, not counts, lets trees
forecast outbreaks bigger than any seen in training.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd
import xgboost as xgb

from vigia.features.forecast import FEATURES, build_features, future_targets
from vigia.models.base import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    Forecaster,
    QuantileForecast,
    finalize_quantiles,
)

MIN_HISTORY = 8  # weeks of history a row needs to be used in training


class XGBoostForecaster(Forecaster):
    """Direct multi-horizon, multi-quantile XGBoost on level-relative log features."""

    name = "xgboost"
    min_history = MIN_HISTORY

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        n_estimators: int = 250,
        max_depth: int = 4,
        learning_rate: float = 0.05,
        seed: int = 0,
        n_jobs: int = 2,
    ) -> None:
        super().__init__(horizons, levels)
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.seed = seed
        self.n_jobs = n_jobs
        self.boosters: dict[int, xgb.Booster] = {}

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "seed": self.seed,
            "n_jobs": self.n_jobs,
        }

    def _train_params(self) -> dict[str, Any]:
        return {
            "objective": "reg:quantileerror",
            "quantile_alpha": np.asarray(self.levels),
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "min_child_weight": 5,
            "seed": self.seed,
            "nthread": self.n_jobs,
        }

    def fit(self, panel: pd.DataFrame) -> Self:
        features = build_features(panel)
        targets = future_targets(panel, self.horizons)
        enough = features[f"lag_{MIN_HISTORY - 1}"].notna()
        for h in self.horizons:
            y = targets[f"y_{h}"]
            rows = enough & y.notna()
            if not rows.any():
                raise ValueError(f"no training rows for horizon {h}: history too short")
            label = np.log1p(y[rows]) - features.loc[rows, "level"]
            matrix = xgb.DMatrix(features.loc[rows, FEATURES], label=label)
            self.boosters[h] = xgb.train(
                self._train_params(), matrix, num_boost_round=self.n_estimators
            )
        return self

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        features = build_features(history)
        last = features.groupby("region", sort=True).tail(1).sort_values("region")
        matrix = xgb.DMatrix(last[FEATURES])
        level = last["level"].to_numpy()[:, None]
        values = np.empty((len(last), len(self.horizons), len(self.levels)))
        for j, h in enumerate(self.horizons):
            z = self.boosters[h].predict(matrix).reshape(len(last), len(self.levels))
            values[:, j, :] = np.expm1(level + z)
        keys = last[["region", "origin"]]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def save_state(self, folder: Path) -> None:
        for h, booster in self.boosters.items():
            booster.save_model(folder / f"xgb_h{h}.ubj")

    def load_state(self, folder: Path) -> None:
        self.boosters = {}
        for h in self.horizons:
            booster = xgb.Booster()
            booster.load_model(folder / f"xgb_h{h}.ubj")
            self.boosters[h] = booster
