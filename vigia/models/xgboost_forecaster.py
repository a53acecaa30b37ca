"""A global XGBoost quantile forecaster: one model per horizon across all regions.

Target: log1p(cases h weeks ahead) minus the region's recent level (see
:mod:`vigia.features.forecast`), learned with XGBoost's multi-quantile objective so one booster
gives every quantile level. Predicting changes relative to the level, not counts, lets trees
forecast outbreaks bigger than any seen in training. Rows are weighted by the region's recent
size (``weight_power``) because WIS is scored on raw counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from vigia.errors import VigiaError
from vigia.features.forecast import (
    FEATURES,
    build_features,
    future_targets,
    history_weeks,
    level_weights,
)
from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.models.base import Forecaster, origin_rows, reported, reported_mask

MIN_HISTORY = 8  # weeks of history a row needs to be used in training


class XGBoostForecaster(Forecaster):
    """Direct multi-horizon, multi-quantile XGBoost on level-relative log features."""

    name = "xgboost"
    min_history = MIN_HISTORY

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        n_estimators: int = 100,
        max_depth: int = 3,
        learning_rate: float = 0.1,
        weight_power: float = 0.0,
        anchor: str = "last",
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        super().__init__(horizons, levels)
        self.n_estimators = n_estimators
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.weight_power = weight_power
        self.anchor = anchor
        self.seed = seed
        self.n_jobs = n_jobs
        self.boosters: dict[int, xgb.Booster] = {}

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "weight_power": self.weight_power,
            "anchor": self.anchor,
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

    def learn(self, panel: pd.DataFrame) -> None:
        features = build_features(panel)
        targets = future_targets(panel, self.horizons)
        # a row needs MIN_HISTORY weeks of history and a reported origin week
        enough = (history_weeks(features) >= MIN_HISTORY) & features["lag_0"].notna().to_numpy()
        for h in self.horizons:
            y = targets[f"y_{h}"]
            rows = y.notna() & enough
            if not rows.any():
                raise VigiaError(
                    f"xgboost: no region has {MIN_HISTORY} weeks of history followed by a "
                    f"reported count {h} weeks later; the panel is too short to train on"
                )
            level = features.loc[rows, "level"]
            matrix = xgb.DMatrix(
                features.loc[rows, FEATURES],
                label=np.log1p(y[rows]) - self._anchor(features.loc[rows]),
                weight=level_weights(level.to_numpy(), self.weight_power),
            )
            self.boosters[h] = xgb.train(
                self._train_params(), matrix, num_boost_round=self.n_estimators
            )

    def _anchor(self, features: pd.DataFrame) -> pd.Series:
        if self.anchor == "last":
            return features["level"] + features["lag_0"]
        return features["level"]

    def _forecast(self, rows: pd.DataFrame) -> QuantileForecast:
        matrix = xgb.DMatrix(rows[FEATURES])
        level = self._anchor(rows).to_numpy()[:, None]
        values = np.empty((len(rows), len(self.horizons), len(self.levels)))
        for j, h in enumerate(self.horizons):
            z = self.boosters[h].predict(matrix).reshape(len(rows), len(self.levels))
            values[:, j, :] = np.expm1(level + z)
        keys = rows[["region", "origin"]]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        features = build_features(reported(history))
        return self._forecast(features.groupby("region", sort=True).tail(1).sort_values("region"))

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        features = build_features(panel)
        return self._forecast(features.iloc[origin_rows(features, origins, reported_mask(panel))])

    def save_state(self, folder: Path) -> None:
        for h, booster in self.boosters.items():
            booster.save_model(folder / f"xgb_h{h}.ubj")

    def load_state(self, folder: Path) -> None:
        self.boosters = {}
        for h in self.horizons:
            booster = xgb.Booster()
            booster.load_model(folder / f"xgb_h{h}.ubj")
            self.boosters[h] = booster
