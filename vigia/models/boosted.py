"""Bagged, jointly trained gradient-boosted quantile regression (the Flusion recipe).

One XGBoost multi-quantile model serves every horizon (``horizon`` is a feature: four times the
rows per fit) and is trained jointly on the target panel and, optionally, extra real dengue
series (:mod:`vigia.data.extra_series`) with a source indicator; every series is cut at the
target panel's last week, so a backtest origin sees nothing after it. Features: the level-relative
log1p features of :mod:`vigia.features.forecast`, growth-phase (local polynomial) features of
:mod:`vigia.features.trend` and spatial features of :mod:`vigia.features.spatial`. Target:
log1p(cases h weeks ahead) minus log1p(cases of the origin week) — per-series scaling on the log
scale, so Taiwan's cities and Peru's departments share one model.

``bags`` models are each fitted on a random ``bag_fraction`` of the calendar years (all series'
rows of a year go together, so a bag never sees half an epidemic), and the forecast is the median
of the bags' quantiles. ``absolute_level=False`` drops the features that carry the absolute size
of a region (a more diverse ensemble member, as Flusion's "no-level" model).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd
import xgboost as xgb

from vigia.data.extra_series import extra_panel
from vigia.errors import VigiaError
from vigia.features.forecast import FEATURES, build_features, future_targets, history_weeks
from vigia.features.spatial import SPATIAL, spatial_features
from vigia.features.trend import trend_features, trend_names
from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.models.base import Forecaster, origin_rows, reported, reported_mask

MIN_HISTORY = 8  # weeks of history a row needs to be used in training
# Levels the boosters learn (each costs one tree per round); the 23 FluSight levels are
# interpolated from them, linearly in the normal quantile of the level (exact at these 9).
TRAIN_LEVELS = (0.01, 0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.99)
ABSOLUTE = ("level", "sum_13", "region_mean")
TARGET_SOURCE = "target"


def boosted_features(panel: pd.DataFrame, spatial: bool = True) -> pd.DataFrame:
    """Every feature of one source's panel: base, trend and (optionally) spatial, per row."""
    base = build_features(panel)
    parts = [base, trend_features(panel, base["level"])]
    if spatial:
        parts.append(spatial_features(panel, base["level"]))
    return pd.concat(parts, axis=1)


def level_interpolation(known: Sequence[float], wanted: Sequence[float]) -> np.ndarray:
    """``(len(wanted), len(known))`` weights: quantiles at ``wanted`` levels as linear
    interpolations of the quantiles at ``known`` levels, in the normal quantile of the level
    (beyond the outermost known levels, the nearest segment's line continues)."""
    normal = NormalDist()
    x = np.array([normal.inv_cdf(q) for q in known])
    weights = np.zeros((len(wanted), len(known)))
    for i, level in enumerate(wanted):
        t = normal.inv_cdf(level)
        j = int(np.clip(np.searchsorted(x, t) - 1, 0, len(x) - 2))
        share = (t - x[j]) / (x[j + 1] - x[j])
        weights[i, j], weights[i, j + 1] = 1 - share, share
    return weights


class BoostedForecaster(Forecaster):
    """Horizon-pooled, bagged XGBoost quantile model, optionally trained on extra series."""

    name = "boosted"
    min_history = MIN_HISTORY

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        extra: Sequence[str] = ("taiwan",),
        extra_min_cases: float = 200.0,
        bags: int = 3,
        bag_fraction: float = 0.7,
        n_estimators: int = 80,
        max_depth: int = 4,
        learning_rate: float = 0.1,
        train_levels: Sequence[float] | None = TRAIN_LEVELS,
        trend: bool = True,
        spatial: bool = True,
        absolute_level: bool = True,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        super().__init__(horizons, levels)
        self.extra = tuple(extra)
        self.extra_min_cases = float(extra_min_cases)
        self.bags = int(bags)
        self.bag_fraction = float(bag_fraction)
        self.n_estimators = int(n_estimators)
        self.max_depth = int(max_depth)
        self.learning_rate = float(learning_rate)
        self.train_levels = tuple(sorted(train_levels)) if train_levels else self.levels
        self.trend = bool(trend)
        self.spatial = bool(spatial)
        self.absolute_level = bool(absolute_level)
        self.seed = int(seed)
        self.n_jobs = int(n_jobs)
        self.training_rows: dict[str, int] = {}  # rows of the last fit: target and extra series
        self.boosters: list[xgb.Booster] = []

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "extra": list(self.extra),
            "extra_min_cases": self.extra_min_cases,
            "bags": self.bags,
            "bag_fraction": self.bag_fraction,
            "n_estimators": self.n_estimators,
            "max_depth": self.max_depth,
            "learning_rate": self.learning_rate,
            "train_levels": list(self.train_levels),
            "trend": self.trend,
            "spatial": self.spatial,
            "absolute_level": self.absolute_level,
            "seed": self.seed,
            "n_jobs": self.n_jobs,
        }

    @property
    def feature_names(self) -> list[str]:
        names = [f for f in FEATURES if self.absolute_level or f not in ABSOLUTE]
        if self.trend:
            names += trend_names()
        if self.spatial:
            names += list(SPATIAL)
        if self.extra:
            names.append("is_target")
        return [*names, "horizon"]

    def _features(self, panel: pd.DataFrame, is_target: bool) -> pd.DataFrame:
        features = boosted_features(panel, spatial=self.spatial)
        features["is_target"] = float(is_target)
        return features

    def _stacked(self, features: pd.DataFrame) -> pd.DataFrame:
        """One row per (row, horizon): the features plus ``horizon``."""
        parts = [features.assign(horizon=float(h)) for h in self.horizons]
        return pd.concat(parts, ignore_index=True)

    def _training_rows(self, panel: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
        sources = [(panel, True)]
        if self.extra:
            until = panel["week_start"].max()
            extra = extra_panel(self.extra, until, self.extra_min_cases)
            for _, part in extra.groupby("source", sort=True):
                sources.append((part[["region", "week_start", "cases"]], False))
        frames, targets = [], []
        for source_panel, is_target in sources:
            features = self._features(source_panel, is_target)
            future = future_targets(source_panel, self.horizons)
            anchor = (features["level"] + features["lag_0"]).to_numpy()
            for h in self.horizons:
                y = np.log1p(future[f"y_{h}"].to_numpy()) - anchor
                # MIN_HISTORY weeks of history, a reported origin week and a reported target
                keep = (history_weeks(features) >= MIN_HISTORY) & np.isfinite(y)
                if not is_target:  # an extra series' quiet weeks teach nothing new
                    keep &= features["zero_share_8"].to_numpy() < 1
                frames.append(features[keep].assign(horizon=float(h)))
                targets.append(y[keep])
        return pd.concat(frames, ignore_index=True), np.concatenate(targets)

    def _train_params(self, seed: int) -> dict[str, Any]:
        return {
            "objective": "reg:quantileerror",
            "quantile_alpha": np.asarray(self.train_levels),
            "tree_method": "hist",
            "max_depth": self.max_depth,
            "eta": self.learning_rate,
            "subsample": 0.8,
            "colsample_bytree": 0.8,
            "min_child_weight": 5,
            "seed": seed,
            "nthread": self.n_jobs,
        }

    def learn(self, panel: pd.DataFrame) -> None:
        rows, y = self._training_rows(panel)
        if not rows["is_target"].astype(bool).any():
            raise VigiaError(
                f"boosted: no region has {MIN_HISTORY} weeks of history followed by a reported "
                "count within the horizons; the panel is too short to train on"
            )
        target = int(rows["is_target"].astype(bool).sum())
        self.training_rows = {"target": target, "extra": len(rows) - target}
        years = rows["origin"].dt.year.to_numpy()
        distinct = np.unique(years)
        rng = np.random.default_rng(self.seed)
        self.boosters = []
        for bag in range(self.bags):
            if self.bags == 1 or len(distinct) < 3:
                chosen = np.ones(len(rows), dtype=bool)
            else:
                take = max(1, round(self.bag_fraction * len(distinct)))
                chosen = np.isin(years, rng.choice(distinct, size=take, replace=False))
            matrix = xgb.DMatrix(rows.loc[chosen, self.feature_names], label=y[chosen])
            self.boosters.append(
                xgb.train(
                    self._train_params(self.seed * 1000 + bag),
                    matrix,
                    num_boost_round=self.n_estimators,
                )
            )

    def _forecast(self, rows: pd.DataFrame) -> QuantileForecast:
        stacked = self._stacked(rows)
        matrix = xgb.DMatrix(stacked[self.feature_names])
        z = np.median(
            np.stack([b.predict(matrix).reshape(len(stacked), -1) for b in self.boosters]),
            axis=0,
        )
        # stacked rows are horizon-major: (horizons, rows, levels) → (rows, horizons, levels)
        z = np.sort(z, axis=-1) @ level_interpolation(self.train_levels, self.levels).T
        z = z.reshape(len(self.horizons), len(rows), len(self.levels)).transpose(1, 0, 2)
        anchor = (rows["level"] + rows["lag_0"]).to_numpy()[:, None, None]
        values = np.expm1(anchor + z)
        keys = rows[["region", "origin"]]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        features = self._features(reported(history), True)
        last = features.groupby("region", sort=True).tail(1).sort_values("region")
        return self._forecast(last.reset_index(drop=True))

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        features = self._features(panel, True)
        rows = origin_rows(features, origins, reported_mask(panel))
        return self._forecast(features.iloc[rows].reset_index(drop=True))

    def save_state(self, folder: Path) -> None:
        for bag, booster in enumerate(self.boosters):
            booster.save_model(folder / f"boosted_bag{bag}.ubj")

    def load_state(self, folder: Path) -> None:
        self.boosters = []
        for bag in range(self.bags):
            booster = xgb.Booster()
            booster.load_model(folder / f"boosted_bag{bag}.ubj")
            self.boosters.append(booster)
