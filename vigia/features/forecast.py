"""Forecast features at an origin week, computed from that week and earlier weeks only.

Everything is on the log1p scale, relative to the region's recent *level* (log1p of the mean of
the last 4 weeks), so that one global model serves regions of very different sizes and can
forecast levels it never saw in training. Each row is one (region, origin).

Unreported weeks (NaN cases) stay missing: a lag of such a week is NaN (XGBoost treats it as
missing), window means and shares average the reported weeks of a full window (NaN when none is
reported), the level averages the reported weeks among the last 4. On a panel without missing
weeks every feature is exactly what it was before missing weeks were allowed.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from vigia.features.catalog import FeatureSpec

LAGS = 8
WINDOWS = (4, 8, 13, 26)
SEASON = 52
LEVEL_WINDOW = 4
SOURCE = "weekly case panel (cases up to and including the origin week)"


def feature_catalog() -> list[FeatureSpec]:
    """The catalog of :func:`build_features`."""
    specs = [FeatureSpec("level", "log1p of the mean weekly cases over the last 4 weeks", SOURCE)]
    specs += [
        FeatureSpec(f"lag_{k}", f"log1p(cases {k} weeks before the origin) minus level", SOURCE)
        for k in range(LAGS)
    ]
    specs += [
        FeatureSpec(f"mean_{w}", f"log1p(mean cases over the last {w} weeks) minus level", SOURCE)
        for w in WINDOWS
    ]
    specs += [
        FeatureSpec("sum_13", "log1p(total cases over the last 13 weeks)", SOURCE),
        FeatureSpec("slope_4", "change of log1p(cases) per week over the last 4 weeks", SOURCE),
        FeatureSpec("zero_share_8", "share of the last 8 weeks with no case", SOURCE),
        FeatureSpec("last_year", "log1p(cases 52 weeks before the origin) minus level", SOURCE),
        FeatureSpec(
            "last_year_ahead_4",
            "log1p(mean cases in weeks 49–52 before the origin, i.e. "
            "the coming 4 weeks one year ago) minus level",
            SOURCE,
        ),
        FeatureSpec(
            "region_mean", "log1p of the region's mean weekly cases up to the origin", SOURCE
        ),
        FeatureSpec("woy_sin", "sine of the origin's week of year (seasonality)", "origin date"),
        FeatureSpec("woy_cos", "cosine of the origin's week of year (seasonality)", "origin date"),
    ]
    return specs


FEATURES = [s.name for s in feature_catalog()]


def _window_mean(values: pd.Series, regions: pd.Series, window: int, offset: int = 0) -> pd.Series:
    """Mean of the reported values among the last ``window`` weeks of each region (NaN where
    none is reported, and where the region has fewer than ``offset + window`` weeks)."""
    mean = values.groupby(regions, sort=False).transform(
        lambda s: s.rolling(window, min_periods=1).mean()
    )
    position = regions.groupby(regions, sort=False).cumcount()
    return mean.where(position >= offset + window - 1)


def _window_sum(values: pd.Series, regions: pd.Series, window: int) -> pd.Series:
    """Sum over the last ``window`` weeks, unreported weeks counted at the window's mean."""
    grouped = values.groupby(regions, sort=False)
    total = grouped.transform(lambda s: s.rolling(window, min_periods=1).sum())
    count = grouped.transform(lambda s: s.rolling(window, min_periods=1).count())
    scaled = total.where(count == window, total * window / count.where(count > 0))
    position = regions.groupby(regions, sort=False).cumcount()
    return scaled.where(position >= window - 1)


def history_weeks(frame: pd.DataFrame) -> np.ndarray:
    """Weeks of history (1, 2, …) of each row of a feature frame, per region."""
    return frame.groupby("region", sort=False).cumcount().to_numpy() + 1


def build_features(panel: pd.DataFrame) -> pd.DataFrame:
    """Features for every (region, week) of a panel, each using only weeks up to that week.

    Args:
        panel: Validated panel (region, week_start, cases), one row per region-week on the
            weekly grid (NaN cases: not reported).

    Returns:
        Frame with ``region``, ``origin`` and the columns of :func:`feature_catalog`, in the
        panel's row order. Features needing more history than exists are NaN.
    """
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    cases = ordered["cases"].astype("float64")
    grouped = cases.groupby(ordered["region"], sort=False)
    log_cases = np.log1p(cases)
    log_grouped = log_cases.groupby(ordered["region"], sort=False)

    regions = ordered["region"]

    def rolling_mean(window: int) -> pd.Series:
        return _window_mean(cases, regions, window)

    level = np.log1p(grouped.transform(lambda s: s.rolling(LEVEL_WINDOW, min_periods=1).mean()))
    out = pd.DataFrame(
        {"region": ordered["region"].astype(str), "origin": ordered["week_start"], "level": level}
    )
    for k in range(LAGS):
        out[f"lag_{k}"] = log_grouped.shift(k) - level
    for w in WINDOWS:
        out[f"mean_{w}"] = np.log1p(rolling_mean(w)) - level
    out["sum_13"] = np.log1p(_window_sum(cases, regions, 13))
    out["slope_4"] = (log_cases - log_grouped.shift(3)) / 3.0
    zero = (cases == 0).astype("float64").where(cases.notna())
    out["zero_share_8"] = _window_mean(zero, regions, 8)
    out["last_year"] = log_grouped.shift(SEASON) - level
    ahead = _window_mean(grouped.shift(SEASON - 4), regions, 4, offset=SEASON - 4)
    out["last_year_ahead_4"] = np.log1p(ahead) - level
    out["region_mean"] = np.log1p(grouped.transform(lambda s: s.expanding().mean()))
    week = ordered["week_start"].dt.isocalendar().week.astype("float64")
    out["woy_sin"] = np.sin(2 * np.pi * week / 52.18)
    out["woy_cos"] = np.cos(2 * np.pi * week / 52.18)
    return out


# --- the same features at one origin per series, with arrays (serving, `predict`) --------------
TRAILING_WEEKS = SEASON + 1  # the oldest week any feature but region_mean reads (last_year)


def iso_weeks(days: np.ndarray) -> np.ndarray:
    """ISO week numbers (1…53) of dates, as float64 (``Series.dt.isocalendar().week``)."""
    day = np.asarray(days, dtype="datetime64[D]")
    weekday = (day.astype("int64") + 3) % 7  # Monday 0 (1970-01-01 was a Thursday)
    thursday = day - weekday + 3  # the Thursday of the ISO week names its year
    first = thursday.astype("datetime64[Y]").astype("datetime64[D]")
    return ((thursday - first).astype("int64") // 7 + 1).astype("float64")


def features_at_last(series: Sequence[np.ndarray], origins: np.ndarray) -> np.ndarray:
    """:func:`build_features` at the last week of each series, computed with arrays.

    Args:
        series: Weekly counts per row, oldest first, each ending at its origin (NaN: not
            reported); at least one week each.
        origins: ``datetime64`` of each series' last week.

    Returns:
        float64 ``(rows, len(FEATURES))`` in ``FEATURES`` order: for integer counts exactly the
        values of ``build_features`` at that week (``tests/unit/forecast`` checks every week of
        the Peru panel); the cost is a few array operations per batch, not a DataFrame per row.
    """
    lengths = np.array([len(s) for s in series], dtype="int64")
    flat = np.concatenate(series).astype("float64") if len(series) else np.empty(0)
    ends = np.cumsum(lengths)
    # The last TRAILING_WEEKS weeks of each row, the origin first (NaN before a series starts).
    back = ends[:, None] - 1 - np.arange(TRAILING_WEEKS)[None, :]
    inside = back >= (ends - lengths)[:, None]
    recent = np.where(inside, flat[np.where(inside, back, 0)], np.nan)
    seen = ~np.isnan(recent)
    # Sums and counts of reported weeks over the last k + 1 weeks, k = 0 … TRAILING_WEEKS - 1
    # (integers add exactly, so these equal pandas' rolling sums).
    sums = np.cumsum(np.where(seen, recent, 0.0), axis=1)
    counts = np.cumsum(seen, axis=1)
    zeros = np.cumsum(seen & (recent == 0), axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):

        def ratio(part: np.ndarray, count: np.ndarray) -> np.ndarray:
            """``part / count``, NaN where ``count`` is 0 (no reported week)."""
            return np.where(count > 0, part / np.where(count > 0, count, 1), np.nan)

        def mean(weeks: int, skip: int = 0) -> np.ndarray:
            """Mean of the reported weeks among ``weeks`` weeks, ``skip`` weeks back."""
            total = sums[:, skip + weeks - 1] - (sums[:, skip - 1] if skip else 0.0)
            count = counts[:, skip + weeks - 1] - (counts[:, skip - 1] if skip else 0)
            return ratio(total, count)

        def full(values: np.ndarray, weeks: int) -> np.ndarray:
            """NaN for rows with fewer than ``weeks`` weeks (a full window is required)."""
            return np.where(lengths >= weeks, values, np.nan)

        logs = np.log1p(recent)
        level = np.log1p(mean(LEVEL_WINDOW))
        out = np.empty((len(series), len(FEATURES)))
        column = {name: j for j, name in enumerate(FEATURES)}
        out[:, column["level"]] = level
        for k in range(LAGS):
            out[:, column[f"lag_{k}"]] = logs[:, k] - level
        for w in WINDOWS:
            out[:, column[f"mean_{w}"]] = np.log1p(full(mean(w), w)) - level
        total, count = sums[:, 12], counts[:, 12]
        scaled = np.where(count == 13, total, total * 13 / np.where(count > 0, count, np.nan))
        out[:, column["sum_13"]] = np.log1p(full(scaled, 13))
        out[:, column["slope_4"]] = (logs[:, 0] - logs[:, 3]) / 3.0
        out[:, column["zero_share_8"]] = full(ratio(zeros[:, 7], counts[:, 7]), 8)
        out[:, column["last_year"]] = logs[:, SEASON] - level
        ahead = full(mean(4, skip=SEASON - 4), SEASON)
        out[:, column["last_year_ahead_4"]] = np.log1p(ahead) - level
        # The mean of all reported weeks: sums over each row's slice of the concatenation.
        known = ~np.isnan(flat)
        starts = ends - lengths
        whole_sums = np.add.reduceat(np.where(known, flat, 0.0), starts) if len(flat) else flat
        whole_counts = np.add.reduceat(known.astype("int64"), starts) if len(flat) else flat
        out[:, column["region_mean"]] = np.log1p(ratio(whole_sums, whole_counts))
    week = iso_weeks(np.asarray(origins))
    out[:, column["woy_sin"]] = np.sin(2 * np.pi * week / 52.18)
    out[:, column["woy_cos"]] = np.cos(2 * np.pi * week / 52.18)
    return out


def future_targets(panel: pd.DataFrame, horizons: tuple[int, ...]) -> pd.DataFrame:
    """Cases ``h`` weeks after each (region, week), NaN past the end, in feature row order."""
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    grouped = ordered["cases"].astype("float64").groupby(ordered["region"], sort=False)
    return pd.DataFrame({f"y_{h}": grouped.shift(-h) for h in horizons})


# --- sequence windows (the LSTM's input) -------------------------------------------------------
SEQUENCE_CHANNELS = ("log_rel", "level", "woy_sin", "woy_cos")


def sequence_windows(panel: pd.DataFrame, window: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The last ``window`` weeks before every (region, week), as sequences for a recurrent model.

    Channels per week (see ``SEQUENCE_CHANNELS``): log1p(cases) minus the origin's level, the
    level itself (divided by 5, constant along the window), and the week of year as sine/cosine.
    Regions with fewer than ``window`` weeks before an origin are left-padded with their first
    week; an unreported week (NaN) is shown as the last reported value. Like
    :func:`build_features`, a window at an origin uses only weeks up to that origin.

    Args:
        panel: Validated panel (region, week_start, cases).
        window: Weeks per sequence.

    Returns:
        ``(frame, windows)``: ``frame`` has ``region``, ``origin`` and ``level`` in
        :func:`build_features` row order; ``windows`` is float32 ``(rows, window, channels)``.
    """
    ordered = panel.sort_values(["region", "week_start"]).reset_index(drop=True)
    # An unreported week enters the window as the region's last reported value.
    filled = ordered["cases"].astype("float64").groupby(ordered["region"], sort=False).ffill()
    log_cases = np.log1p(filled.to_numpy(dtype="float64"))
    week = ordered["week_start"].dt.isocalendar().week.to_numpy(dtype="float64")
    angle = 2 * np.pi * week / 52.18
    raw = np.stack([log_cases, np.sin(angle), np.cos(angle)], axis=1)
    parts = []
    for rows in ordered.groupby("region", sort=False).indices.values():
        series = raw[rows]
        padded = np.concatenate([np.repeat(series[:1], window - 1, axis=0), series])
        # (n, channels, window) → (n, window, channels)
        parts.append(np.lib.stride_tricks.sliding_window_view(padded, window, axis=0))
    stacked = np.concatenate(parts).transpose(0, 2, 1) if parts else np.empty((0, window, 3))
    cases = ordered["cases"].astype("float64")
    level = np.log1p(
        cases.groupby(ordered["region"], sort=False)
        .transform(lambda s: s.rolling(LEVEL_WINDOW, min_periods=1).mean())
        .to_numpy()
    )
    windows = np.empty((len(ordered), window, len(SEQUENCE_CHANNELS)), dtype="float32")
    windows[:, :, 0] = stacked[:, :, 0] - level[:, None]
    windows[:, :, 1] = (level / 5.0)[:, None]
    windows[:, :, 2:] = stacked[:, :, 1:]
    frame = pd.DataFrame(
        {
            "region": ordered["region"].astype(str),
            "origin": ordered["week_start"],
            "level": level,
        }
    )
    return frame, windows


def level_weights(level: np.ndarray, power: float) -> np.ndarray:
    """Training weights ``(1 + recent mean cases) ** power`` from log1p levels.

    WIS is scored on raw counts, where large regions and outbreaks dominate; a loss on the log
    scale treats all regions alike. ``power`` between 0 (all alike) and 1 (weight ∝ size)
    trades the two off.
    """
    return np.exp(power * np.asarray(level, dtype="float64"))
