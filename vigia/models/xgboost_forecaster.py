"""A global XGBoost quantile forecaster: one model per horizon across all regions.

Target: log1p(cases h weeks ahead) minus the region's recent level (see
:mod:`vigia.features.forecast`), learned with XGBoost's multi-quantile objective so one booster
gives every quantile level. Predicting changes relative to the level, not counts, lets trees
forecast outbreaks bigger than any seen in training. Rows are weighted by the region's recent
size (``weight_power``) because WIS is scored on raw counts.
"""

from __future__ import annotations

import ctypes
import json
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
    features_at_last,
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
from vigia.models.base import (
    Forecaster,
    origin_rows,
    panel_series,
    reported,
    reported_mask,
    reported_series,
)
from vigia.models.tree_arrays import SMALL_BATCH, TreeArrays, compile_boosters

MIN_HISTORY = 8  # weeks of history a row needs to be used in training
# Arguments of XGBoost's dense in-place prediction (what ``Booster.inplace_predict`` sends).
_PREDICT_ARGS = json.dumps(
    {"type": 0, "training": False, "iteration_begin": 0, "iteration_end": 0,
     "missing": float("nan"), "strict_shape": False, "cache_id": 0}
).encode()  # fmt: skip


def predict_dense(booster: xgb.Booster, features: np.ndarray) -> np.ndarray:
    """``booster.inplace_predict(features)``, float32 ``(rows, outputs)`` flattened, by XGBoost's
    C function itself: the Python wrapper costs ~0.2 ms a call (type checks for a dozen data
    libraries), most of a one-row forecast's time (benchmarks/serving). Falls back to the
    wrapper if this XGBoost lacks the function."""
    library = getattr(xgb.core, "_LIB", None)
    predict = getattr(library, "XGBoosterPredictFromDense", None)
    if library is None or predict is None:
        return np.asarray(booster.inplace_predict(features, validate_features=False)).ravel()
    data = np.ascontiguousarray(features, dtype="float64")
    interface = json.dumps(
        {"data": [data.ctypes.data, True], "shape": list(data.shape), "strides": None,
         "typestr": "<f8", "version": 3}
    ).encode()  # fmt: skip
    shape = ctypes.POINTER(ctypes.c_uint64)()
    dims = ctypes.c_uint64()
    result = ctypes.POINTER(ctypes.c_float)()
    status = predict(
        booster.handle, interface, _PREDICT_ARGS, None,
        ctypes.byref(shape), ctypes.byref(dims), ctypes.byref(result),
    )  # fmt: skip
    if status != 0:
        raise xgb.core.XGBoostError(library.XGBGetLastError().decode())
    size = int(np.prod([shape[i] for i in range(dims.value)]))
    return np.ctypeslib.as_array(result, (size,)).copy()


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
        self._tree_arrays: TreeArrays | bool | None = False  # False: not built yet

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
            self._tree_arrays = False
            self.boosters[h] = xgb.train(
                self._train_params(), matrix, num_boost_round=self.n_estimators
            )

    def _anchor(self, features: pd.DataFrame) -> pd.Series:
        if self.anchor == "last":
            return features["level"] + features["lag_0"]
        return features["level"]

    def _values(self, features: np.ndarray) -> np.ndarray:
        """Quantiles ``(rows, horizons, levels)`` from features ``(rows, FEATURES)``: the one
        prediction path of fitting's checks, backtests and serving."""
        level = features[:, FEATURES.index("level")]
        anchor = level + features[:, FEATURES.index("lag_0")] if self.anchor == "last" else level
        if len(features) <= SMALL_BATCH and self._arrays() is not None:
            z = self._arrays().predict(features)  # type: ignore[union-attr]
        else:
            z = np.stack(
                [predict_dense(self.boosters[h], features).reshape(len(features), -1)
                 for h in self.horizons],
                axis=1,
            )  # fmt: skip
        return finalize_quantiles(np.expm1(anchor[:, None, None] + z))

    def _arrays(self) -> TreeArrays | None:
        """The boosters as arrays for small batches (built on first use)."""
        if self._tree_arrays is False:
            self._tree_arrays = compile_boosters([self.boosters[h] for h in self.horizons])
        return self._tree_arrays  # type: ignore[return-value]

    def _forecast(self, rows: pd.DataFrame) -> QuantileForecast:
        values = self._values(rows[FEATURES].to_numpy(dtype="float64"))
        return QuantileForecast(rows[["region", "origin"]], values, self.horizons, self.levels)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        regions, series, origins = panel_series(reported(history))
        keys = pd.DataFrame({"region": regions, "origin": origins})
        values = self._values(features_at_last(series, origins))
        return QuantileForecast(keys, values, self.horizons, self.levels)

    def predict_series(self, series: Sequence[np.ndarray], origins: np.ndarray) -> np.ndarray:
        series, origins = reported_series(series, origins)
        return self._values(features_at_last(series, origins))

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
        self._tree_arrays = False
        for h in self.horizons:
            booster = xgb.Booster()
            booster.load_model(folder / f"xgb_h{h}.ubj")
            self.boosters[h] = booster
