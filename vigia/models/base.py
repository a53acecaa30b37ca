"""What every forecaster shares: the interface (:class:`Forecaster`), saving and loading, and
the origins a forecast starts from. The forecast itself (:class:`QuantileForecast`, levels,
horizons) is :mod:`vigia.forecasts.quantiles`."""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.forecasts.endemic import EndemicChannel, endemic_channel
from vigia.forecasts.quantiles import FLUSIGHT_LEVELS, HORIZONS, QuantileForecast

MODEL_FILE = "forecaster.json"
ENDEMIC_FILE = "endemic.json"


def reported(history: pd.DataFrame) -> pd.DataFrame:
    """``history`` without each region's trailing unreported weeks (NaN cases), so that every
    region's last row is its last reported week: the origin a forecast starts from. Regions
    with no reported week are left out."""
    if not history["cases"].isna().any():
        return history
    ordered = history.sort_values(["region", "week_start"])
    seen = ordered["cases"].notna()[::-1].groupby(ordered["region"][::-1]).cummax()[::-1]
    return ordered[seen.to_numpy()]


def last_origins(history: pd.DataFrame) -> pd.DataFrame:
    """The forecast keys for 'now': each region's last reported week."""
    last = reported(history).groupby("region", sort=True)["week_start"].max()
    return pd.DataFrame({"region": last.index.astype(str), "origin": last.to_numpy()})


def reported_mask(panel: pd.DataFrame) -> np.ndarray:
    """Whether each week of ``panel`` sorted by region and week has a reported count (the row
    order of :mod:`vigia.features.forecast`)."""
    return panel.sort_values(["region", "week_start"])["cases"].notna().to_numpy()


def series_panel(
    regions: Sequence[str] | np.ndarray, series: Sequence[np.ndarray], origins: np.ndarray
) -> pd.DataFrame:
    """A weekly panel (region, week_start, cases) holding each series, its last week at its
    origin."""
    lengths = np.array([len(s) for s in series], dtype="int64")
    ends = np.repeat(np.asarray(origins, dtype="datetime64[ns]"), lengths)
    # weeks before each series' last: n - 1, …, 1, 0
    back = np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - 1, lengths)
    return pd.DataFrame(
        {
            "region": np.repeat(np.asarray(regions, dtype=object), lengths),
            "week_start": ends + back * np.timedelta64(7, "D"),
            "cases": np.concatenate(series).astype("float64") if len(series) else np.empty(0),
        }
    )


def last_reported(series: np.ndarray) -> int:
    """Length of ``series`` without its trailing unreported (NaN) weeks (see :func:`reported`)."""
    if len(series) and not np.isnan(series[-1]):
        return len(series)
    reported_at = np.flatnonzero(~np.isnan(series))
    return int(reported_at[-1]) + 1 if reported_at.size else 0


def panel_series(panel: pd.DataFrame) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Each region's weekly counts as an array: ``(regions, series, origins)`` sorted by region,
    ``origins`` the datetime64 of each series' last week."""
    ordered = panel.sort_values(["region", "week_start"])
    cases = ordered["cases"].to_numpy(dtype="float64")
    weeks = ordered["week_start"].to_numpy(dtype="datetime64[ns]")
    groups = ordered.groupby("region", sort=True).indices
    regions = np.array([str(r) for r in groups], dtype=object)
    series = [cases[rows] for rows in groups.values()]
    origins = np.array([weeks[rows[-1]] for rows in groups.values()], dtype="datetime64[ns]")
    return regions, series, origins


def reported_series(
    series: Sequence[np.ndarray], origins: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Each series without its trailing unreported weeks and its origin moved back to match
    (what :func:`reported` does to a panel); a series with no reported week is refused."""
    lengths = [last_reported(s) for s in series]
    if 0 in lengths:
        raise VigiaError(f"row {lengths.index(0)}: the series has no reported week")
    moved = np.array([len(s) - n for s, n in zip(series, lengths, strict=True)], dtype="int64")
    shifted = np.asarray(origins, dtype="datetime64[ns]") - moved * np.timedelta64(7, "D")
    return [s[:n] for s, n in zip(series, lengths, strict=True)], shifted


def origin_rows(
    frame: pd.DataFrame, origins: Sequence[pd.Timestamp], usable: np.ndarray | None = None
) -> np.ndarray:
    """Positions of the rows of ``frame`` (with ``region`` and ``origin`` columns) whose origin is
    one of ``origins`` (and, if given, whose ``usable`` flag is set: a reported week), ordered by
    origin then region (the order of one ``predict`` per origin)."""
    wanted = frame["origin"].isin(pd.DatetimeIndex(origins)).to_numpy()
    if usable is not None:
        wanted &= usable
    positions = np.flatnonzero(wanted)
    order = np.lexsort(
        (frame["region"].to_numpy()[positions], frame["origin"].to_numpy()[positions])
    )
    return positions[order]


class Forecaster(ABC):
    """Interface of every forecaster (baselines, XGBoost, LSTM, hybrid).

    ``fit`` sees a panel (region, week_start, cases, covariates); ``predict`` forecasts from the
    last week of each region in the history it is given and must use nothing after it.
    """

    name: ClassVar[str]
    min_history: ClassVar[int] = 1
    # Backtests refit this model at most every this many weeks (0: as often as the backtest
    # says). Expensive models set it to keep the training pipeline's backtest within budget.
    refit_weeks: ClassVar[int] = 0

    def __init__(
        self, horizons: Sequence[int] = HORIZONS, levels: Sequence[float] = FLUSIGHT_LEVELS
    ) -> None:
        self.horizons = tuple(int(h) for h in horizons)
        self.levels = tuple(float(q) for q in sorted(levels))
        # The endemic channel of the training panel, set by fit: saved with the model so that
        # outbreak alerts (vigia.forecasts.endemic.forecast_alerts) need no raw data to serve.
        self.endemic: EndemicChannel | None = None

    def fit(self, panel: pd.DataFrame) -> Self:
        """Learn from a panel (:meth:`learn`) and keep its endemic channel; returns self."""
        self.learn(panel)
        self.endemic = endemic_channel(panel)
        return self

    @abstractmethod
    def learn(self, panel: pd.DataFrame) -> None:
        """Learn from a panel (what :meth:`fit` does, apart from the endemic channel)."""

    @abstractmethod
    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        """Forecast every region of ``history`` from its last observed week."""

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        """Forecasts from each of ``origins``, each using ``panel`` only up to that origin.

        A region is forecast at an origin when it has a reported count for that week (a
        ragged or gapped panel has regions without one). Rows are ordered by origin, then
        region. The default calls :meth:`predict` once per origin on the truncated panel of
        those regions; models whose features are causal by construction override it to compute
        them once.
        """
        at = panel[panel["week_start"].isin(pd.DatetimeIndex(origins)) & panel["cases"].notna()]
        parts = []
        for origin, rows in at.groupby("week_start", sort=True):
            regions = rows["region"].unique()
            visible = panel[(panel["week_start"] <= origin) & panel["region"].isin(regions)]
            parts.append(self.predict(visible))
        if not parts:
            return QuantileForecast.empty(self.horizons, self.levels)
        return QuantileForecast.concat(parts)

    @property
    def builds_arrays(self) -> bool:
        """Whether :meth:`predict_series` builds the model's input with arrays (cheap for any
        number of rows) rather than through a panel and :meth:`predict`."""
        return type(self).predict_series is not Forecaster.predict_series

    def predict_series(self, series: Sequence[np.ndarray], origins: np.ndarray) -> np.ndarray:
        """Forecasts ``(rows, horizons, levels)`` from each row's own series (weekly counts,
        oldest first, the last for the row's ``origins`` week), as :meth:`predict` gives them
        for a panel of that series alone; rows may repeat a region at several origins.

        The default calls :meth:`predict` once on a panel of all rows; models that build their
        input with arrays override it (serving calls it on every request).
        """
        keys = np.array([f"{i:07d}" for i in range(len(series))], dtype=object)
        panel = series_panel(keys, series, origins)
        forecast = self.predict(panel)
        position = {str(key): j for j, key in enumerate(forecast.keys["region"])}
        missing = [str(key) for key in keys if str(key) not in position]
        if missing:
            raise VigiaError(f"{self.name}: no forecast for {len(missing)} of {len(keys)} rows")
        return forecast.values[[position[str(key)] for key in keys]]

    # --- persistence -------------------------------------------------------------------------
    def params(self) -> dict[str, Any]:
        """Constructor arguments that rebuild an unfitted copy of this model."""
        return {"horizons": list(self.horizons), "levels": list(self.levels)}

    def save_state(self, folder: Path) -> None:
        """Write fitted state (beyond ``params``) to ``folder``; stateless models write nothing."""

    def load_state(self, folder: Path) -> None:
        """Read what ``save_state`` wrote."""

    def save(self, folder: str | Path) -> Path:
        """Save to ``folder``: ``forecaster.json`` plus whatever the model needs."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        cls = type(self)
        spec = {
            "class": f"{cls.__module__}:{cls.__qualname__}",
            "name": self.name,
            "params": self.params(),
        }
        self.save_state(folder)
        if self.endemic is not None:
            (folder / ENDEMIC_FILE).write_text(json.dumps(self.endemic.to_dict()), encoding="utf-8")
        (folder / MODEL_FILE).write_text(json.dumps(spec, indent=2), encoding="utf-8")
        return folder


def load_forecaster(folder: str | Path) -> Forecaster:
    """Load a forecaster saved with :meth:`Forecaster.save` (only ``vigia.models`` classes)."""
    folder = Path(folder)
    spec_file = folder / MODEL_FILE
    if not spec_file.exists():
        raise VigiaError(f"{folder}: no {MODEL_FILE}; not a saved forecaster")
    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    module_name, _, qualname = spec["class"].partition(":")
    if not module_name.startswith("vigia.models."):
        raise VigiaError(f"{spec_file}: refusing to load class from {module_name!r}")
    cls = getattr(importlib.import_module(module_name), qualname)
    model: Forecaster = cls(**spec["params"])
    model.load_state(folder)
    endemic_file = folder / ENDEMIC_FILE
    if endemic_file.exists():
        model.endemic = EndemicChannel.from_dict(
            json.loads(endemic_file.read_text(encoding="utf-8"))
        )
    return model


ForecasterFactory = Callable[[], Forecaster]


def forecast_block(
    panel: pd.DataFrame, factory: ForecasterFactory, block: list[pd.Timestamp]
) -> QuantileForecast:
    """Fit a fresh model on the weeks up to ``block[0]`` and forecast from every origin of the
    block, each from the weeks up to that origin only."""
    model = factory().fit(panel[panel["week_start"] <= block[0]])
    # The model is not even handed weeks after the block's last origin.
    return model.predict_origins(panel[panel["week_start"] <= block[-1]], block)
