"""The endemic channel and outbreak alerts from quantile forecasts.

The *endemic channel* (canal endémico) is what health ministries in Latin America compare weekly
counts with: for each region and week of the year, the usual range of cases in past years. Here
it is built from *complete past years only* (a year counts once all its weeks are observed), with
the weeks of year ``w - window … w + window`` pooled so that a few years give enough values:

- ``quartiles`` (default): lower = 1st quartile, center = median, upper = 3rd quartile;
- ``mean_2sd``: center = mean, lower/upper = mean ∓ 2 standard deviations (lower ≥ 0).

An alert compares a quantile forecast with the channel: the probability that the count exceeds
the upper limit (read off the forecast's quantile function) in each of the next weeks, and a
level: ``epidemic`` if that probability is at least ``epidemic_probability``, ``alert`` if at
least ``alert_probability``, else ``safety`` (``unknown`` where the region has no channel).

Nothing here needs raw data at forecast time: a fitted forecaster carries its channel
(``Forecaster.endemic``, saved as ``endemic.json`` beside the model).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from vigia.errors import VigiaError

if TYPE_CHECKING:
    from vigia.forecasts.quantiles import QuantileForecast

METHODS = ("quartiles", "mean_2sd")
LEVELS = ("safety", "alert", "epidemic")
WEEKS_PER_YEAR = 53


def epi_year_week(week_start: pd.Series | pd.DatetimeIndex) -> tuple[np.ndarray, np.ndarray]:
    """Year and week of year (1–53) of weeks given by their first day.

    A week belongs to the year of its middle day (first day + 3): for Sunday-start weeks this is
    the MMWR epidemiological week, for Monday-start weeks the ISO week.
    """
    middle = pd.DatetimeIndex(week_start) + pd.Timedelta(days=3)
    year = middle.year.to_numpy().astype("int64")
    return year, (middle.dayofyear.to_numpy().astype("int64") - 1) // 7 + 1


@dataclass
class EndemicChannel:
    """Usual weekly cases per region and week of year, from past years.

    Attributes:
        table: One row per (region, week 1–53): ``lower``, ``center``, ``upper``, ``years``
            (how many past years went into the row).
        method: ``quartiles`` or ``mean_2sd``.
        years: The past years used.
    """

    table: pd.DataFrame
    method: str
    years: tuple[int, ...]

    def limits(self, regions: np.ndarray, weeks: pd.Series | pd.DatetimeIndex) -> pd.DataFrame:
        """``lower``, ``center``, ``upper`` for each (region, week start); NaN if unknown."""
        _, week = epi_year_week(weeks)
        wanted = pd.MultiIndex.from_arrays([np.asarray(regions, dtype=str), week])
        found = self.table.set_index(["region", "week"])[["lower", "center", "upper"]]
        return found.reindex(wanted).reset_index(drop=True)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "years": list(self.years),
            "columns": ["region", "week", "lower", "center", "upper", "years"],
            "rows": self.table.to_numpy().tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EndemicChannel:
        table = pd.DataFrame(data["rows"], columns=data["columns"])
        table = table.astype(
            {
                "region": str,
                "week": "int64",
                "lower": "float64",
                "center": "float64",
                "upper": "float64",
                "years": "int64",
            }
        )
        return cls(table=table, method=str(data["method"]), years=tuple(data["years"]))


def complete_years(panel: pd.DataFrame) -> list[int]:
    """Years whose every week (52, or 53 where the year has one) is in ``panel``."""
    weeks = pd.DatetimeIndex(sorted(panel["week_start"].unique()))
    year, week = epi_year_week(weeks)
    counts = pd.Series(week).groupby(year).nunique()
    last_week = pd.Series(week).groupby(year).max()
    return [int(y) for y in counts.index if counts[y] >= 52 and counts[y] >= last_week[y]]


def endemic_channel(
    panel: pd.DataFrame,
    method: str = "quartiles",
    window: int = 1,
    before: pd.Timestamp | None = None,
    min_years: int = 2,
) -> EndemicChannel:
    """The endemic channel of every region from complete years of ``panel``.

    Args:
        panel: Weekly panel (region, week_start, cases).
        method: ``quartiles`` or ``mean_2sd``.
        window: Pool weeks of year ``w - window … w + window`` (wrapping around the year end).
        before: Use only years that ended before this week (default: every complete year).
        min_years: Regions with fewer past years get no channel (NaN limits).
    """
    if method not in METHODS:
        raise VigiaError(f"unknown endemic channel method {method!r}; choose {', '.join(METHODS)}")
    data = panel if before is None else panel[panel["week_start"] <= pd.Timestamp(before)]
    years = complete_years(data)
    year, week = epi_year_week(data["week_start"])
    past = data.assign(year=year, week=week)[np.isin(year, years)]
    pooled = pd.concat(
        [
            past.assign(week=(past["week"] - 1 + shift) % WEEKS_PER_YEAR + 1)
            for shift in range(-window, window + 1)
        ]
    )
    # Week 53 exists in few years: it gets values through the window from weeks 52 and 1.
    grouped = pooled.groupby(["region", "week"])["cases"]
    if method == "quartiles":
        lower, center, upper = (grouped.quantile(q) for q in (0.25, 0.5, 0.75))
    else:
        mean, spread = grouped.mean(), 2 * grouped.std().fillna(0.0)
        lower, center, upper = (mean - spread).clip(lower=0), mean, mean + spread
    table = pd.DataFrame({"lower": lower, "center": center, "upper": upper})
    n_years = past.groupby("region")["year"].nunique()
    table["years"] = n_years.reindex(table.index.get_level_values(0)).to_numpy()
    table = table.reset_index()
    regions = sorted(panel["region"].astype(str).unique())
    full = pd.MultiIndex.from_product(
        [regions, range(1, WEEKS_PER_YEAR + 1)], names=["region", "week"]
    )
    table = table.set_index(["region", "week"]).reindex(full).reset_index()
    table["years"] = table["years"].fillna(0).astype("int64")
    too_few = table["years"] < min_years
    table.loc[too_few, ["lower", "center", "upper"]] = np.nan
    return EndemicChannel(table=table, method=method, years=tuple(years))


def exceedance_probability(
    values: np.ndarray, levels: tuple[float, ...], threshold: np.ndarray
) -> np.ndarray:
    """P(count > threshold) from quantiles ``values`` (..., Q), by linear interpolation of the
    quantile function; limited to [1 - max level, 1 - min level]. NaN where threshold is NaN."""
    taus = np.asarray(levels, dtype="float64")
    flat = values.reshape(-1, values.shape[-1])
    cut = np.broadcast_to(threshold, values.shape[:-1]).reshape(-1)
    out = np.full(len(flat), np.nan)
    for i, (q, x) in enumerate(zip(flat, cut, strict=True)):
        if not np.isfinite(x):
            continue
        k = int(np.searchsorted(q, x, side="right"))  # quantiles at or below x
        if k == 0:
            cdf = taus[0]
        elif k == len(q):
            cdf = taus[-1]
        else:
            lo, hi = q[k - 1], q[k]
            cdf = taus[k - 1] + (taus[k] - taus[k - 1]) * (x - lo) / (hi - lo)
        out[i] = 1.0 - cdf
    return out.reshape(values.shape[:-1])


@dataclass(frozen=True)
class AlertRule:
    """Probabilities of exceeding the channel's upper limit that raise the alert levels."""

    alert_probability: float = 0.2
    epidemic_probability: float = 0.5


def alert_level(probability: np.ndarray, rule: AlertRule = AlertRule()) -> np.ndarray:
    """``safety``/``alert``/``epidemic`` per probability of exceeding the upper limit."""
    level = np.where(
        probability >= rule.epidemic_probability,
        "epidemic",
        np.where(probability >= rule.alert_probability, "alert", "safety"),
    )
    return np.where(np.isnan(probability), "unknown", level).astype(object)


def forecast_alerts(
    forecast: QuantileForecast, channel: EndemicChannel, rule: AlertRule = AlertRule()
) -> pd.DataFrame:
    """Outbreak alerts for every row and horizon of a quantile forecast.

    Args:
        forecast: Quantile forecasts (any horizons; levels must include 0.5).
        channel: The endemic channel (e.g. ``model.endemic`` of a fitted forecaster).
        rule: Probability cut-offs of the alert levels.

    Returns:
        One row per (region, origin, horizon): ``target_week``, ``median`` (forecast), channel
        ``lower``/``center``/``upper``, ``p_above_center``, ``p_above_upper`` and ``level``.
    """
    n, h = len(forecast.keys), len(forecast.horizons)
    horizon = np.tile(np.asarray(forecast.horizons), n)
    origin = np.repeat(forecast.keys["origin"].to_numpy(), h)
    region = np.repeat(forecast.keys["region"].to_numpy(), h).astype(str)
    target = pd.DatetimeIndex(origin + pd.to_timedelta(7 * horizon, unit="D"))
    limits = channel.limits(region, target)
    values = forecast.values.reshape(n * h, -1)
    p_upper = exceedance_probability(values, forecast.levels, limits["upper"].to_numpy())
    p_center = exceedance_probability(values, forecast.levels, limits["center"].to_numpy())
    return pd.DataFrame(
        {
            "region": region,
            "origin": origin,
            "horizon": horizon,
            "target_week": target,
            "median": forecast.median.reshape(-1),
            "lower": limits["lower"].to_numpy(),
            "center": limits["center"].to_numpy(),
            "upper": limits["upper"].to_numpy(),
            "p_above_center": p_center,
            "p_above_upper": p_upper,
            "level": alert_level(p_upper, rule),
        }
    )
