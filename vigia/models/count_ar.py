"""A negative-binomial count autoregression (hhh4-style): a statistical member unlike the trees.

For each horizon ``h`` a log-linear negative-binomial regression (NB2, log link) of the count
``h`` weeks ahead on: log1p of the last week's count (epidemic component), log1p of the mean of the
three weeks before it, log1p of the neighbouring departments' summed last-week count (spatial
component, :mod:`vigia.features.spatial`'s adjacency table), log1p of the region's mean weekly
count so far (endemic level) and the target week's season (sine/cosine of the week of year).
Fitted by IRLS as a Poisson GLM, the dispersion from the Pearson residuals, then refitted as a
negative-binomial GLM with that dispersion. Quantiles come from the fitted negative binomial, so
intervals widen with the mean as counts do. Missing weeks (NaN) drop the rows that need them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import nbinom

from vigia.errors import VigiaError
from vigia.features.spatial import peru_adjacency
from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.models.base import Forecaster, origin_rows, reported, reported_mask

STATE_FILE = "count_ar.json"
REGRESSORS = ("const", "log_last", "log_prev3", "log_neighbours", "log_region_mean", "sin", "cos")
MIN_ALPHA = 1e-3


def count_regressors(panel: pd.DataFrame) -> pd.DataFrame:
    """Regressors for every (region, week) of a panel (``build_features`` row order), using only
    weeks up to that week; the seasonal terms are added per horizon by :func:`seasonal`."""
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    cases = ordered["cases"].astype("float64")
    grouped = cases.groupby(ordered["region"], sort=False)
    prev3 = grouped.transform(lambda s: s.shift(1).rolling(3, min_periods=3).mean())
    wide = ordered.pivot(index="week_start", columns="region", values="cases").sort_index()
    adjacency = peru_adjacency()
    regions = [str(r) for r in wide.columns]
    near = np.array([[float(b in adjacency.get(a, frozenset())) for a in regions] for b in regions])
    neighbour_sum = pd.DataFrame(
        np.nan_to_num(wide.to_numpy(dtype="float64")) @ near, index=wide.index, columns=regions
    )
    index = pd.MultiIndex.from_arrays([ordered["week_start"], ordered["region"].astype(str)])
    neighbours = neighbour_sum.stack().reindex(index).to_numpy()
    return pd.DataFrame(
        {
            "region": ordered["region"].astype(str),
            "origin": ordered["week_start"],
            "const": 1.0,
            "log_last": np.log1p(cases),
            "log_prev3": np.log1p(prev3),
            "log_neighbours": np.log1p(neighbours),
            "log_region_mean": np.log1p(grouped.transform(lambda s: s.expanding().mean())),
        }
    )


def seasonal(origin: pd.Series, h: int) -> tuple[np.ndarray, np.ndarray]:
    """Sine and cosine of the target week's week of year."""
    week = (origin + pd.Timedelta(weeks=h)).dt.isocalendar().week.to_numpy(dtype="float64")
    angle = 2 * np.pi * week / 52.18
    return np.sin(angle), np.cos(angle)


def design(frame: pd.DataFrame, h: int) -> np.ndarray:
    sin, cos = seasonal(frame["origin"], h)
    return np.column_stack([frame[list(REGRESSORS[:5])].to_numpy(dtype="float64"), sin, cos])


def fit_negative_binomial(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Coefficients and NB2 dispersion: Poisson IRLS, Pearson dispersion, NB IRLS refit.

    Regressors constant over the rows (no neighbours in a one-region panel) are left out (their
    coefficient is 0); the first column is the intercept. Where the regression cannot be fitted
    (all-zero counts, separation, a singular design) the model falls back to the mean count with
    the moment dispersion."""
    import warnings

    import statsmodels.api as sm

    coefficients = np.zeros(x.shape[1])
    mean = float(np.mean(y))
    coefficients[0] = np.log(max(mean, 1e-3))
    fallback = (coefficients, _pearson_alpha(y, np.full(len(y), mean), 1))
    if mean <= 0:
        return fallback
    used = np.ones(x.shape[1], dtype=bool)
    used[1:] = np.ptp(x[:, 1:], axis=0) > 0
    x = x[:, used]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
            alpha = _pearson_alpha(y, poisson.predict(x), x.shape[1])
            family = sm.families.NegativeBinomial(alpha=alpha)
            result = sm.GLM(y, x, family=family).fit(start_params=poisson.params)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return fallback
    params = np.asarray(result.params, dtype="float64")
    if not np.isfinite(params).all():
        return fallback
    coefficients[used] = params
    return coefficients, alpha


def _pearson_alpha(y: np.ndarray, mu: np.ndarray, parameters: int) -> float:
    """NB2 dispersion by moments from the Pearson residuals, at least ``MIN_ALPHA``."""
    mu = np.maximum(mu, 1e-6)
    alpha = float(np.sum(((y - mu) ** 2 - mu) / mu**2) / max(len(y) - parameters, 1))
    return max(alpha, MIN_ALPHA) if np.isfinite(alpha) else 1.0


class CountARForecaster(Forecaster):
    """Direct per-horizon negative-binomial autoregression with a neighbour term."""

    name = "count_ar"
    min_history = 4

    def __init__(
        self, horizons: Sequence[int] = HORIZONS, levels: Sequence[float] = FLUSIGHT_LEVELS
    ) -> None:
        super().__init__(horizons, levels)
        self.coefficients: dict[int, np.ndarray] = {}
        self.alpha: dict[int, float] = {}

    def learn(self, panel: pd.DataFrame) -> None:
        frame = count_regressors(panel)
        ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
        grouped = ordered["cases"].astype("float64").groupby(ordered["region"], sort=False)
        for h in self.horizons:
            x = design(frame, h)
            y = grouped.shift(-h).to_numpy()
            rows = np.isfinite(x).all(axis=1) & np.isfinite(y)
            if rows.sum() <= x.shape[1]:
                raise VigiaError(
                    f"count_ar: fewer than {x.shape[1] + 1} weeks with 4 reported weeks of "
                    f"history and a reported count {h} weeks later; the panel is too short to "
                    "train on"
                )
            self.coefficients[h], self.alpha[h] = fit_negative_binomial(x[rows], y[rows])

    def _forecast(self, frame: pd.DataFrame) -> QuantileForecast:
        levels = np.asarray(self.levels)
        values = np.empty((len(frame), len(self.horizons), len(levels)))
        for j, h in enumerate(self.horizons):
            x = np.nan_to_num(design(frame, h))
            mu = np.exp(np.clip(x @ self.coefficients[h], -20, 20))
            size = 1.0 / self.alpha[h]
            values[:, j, :] = nbinom.ppf(levels[None, :], size, (size / (size + mu))[:, None])
        keys = frame[["region", "origin"]]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        frame = count_regressors(reported(history))
        return self._forecast(frame.groupby("region", sort=True).tail(1).sort_values("region"))

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        frame = count_regressors(panel)
        return self._forecast(frame.iloc[origin_rows(frame, origins, reported_mask(panel))])

    def save_state(self, folder: Path) -> None:
        state = {
            str(h): {"coefficients": self.coefficients[h].tolist(), "alpha": self.alpha[h]}
            for h in self.horizons
        }
        (folder / STATE_FILE).write_text(json.dumps(state, indent=2), encoding="utf-8")

    def load_state(self, folder: Path) -> None:
        state: dict[str, Any] = json.loads((folder / STATE_FILE).read_text(encoding="utf-8"))
        self.coefficients = {int(h): np.asarray(v["coefficients"]) for h, v in state.items()}
        self.alpha = {int(h): float(v["alpha"]) for h, v in state.items()}
