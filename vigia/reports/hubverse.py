"""Quantile forecasts in the hubverse model-output format (CDC FluSight / COVID-19 Forecast Hub).

One row per (reference_date, location, horizon, quantile level)::

    reference_date, horizon, target_end_date, location, target, output_type, output_type_id, value

Dates follow the hubs' convention of naming a week by its last day: ``reference_date`` is the
last day of the last observed week (the forecast origin), ``target_end_date`` the last day of
the forecast week, ``reference_date + 7 × horizon`` days. ``location`` is the region name.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vigia.errors import VigiaError
from vigia.models.base import QuantileForecast

TARGET = "wk inc dengue case"
COLUMNS = (
    "model_id",
    "reference_date",
    "horizon",
    "target_end_date",
    "location",
    "target",
    "output_type",
    "output_type_id",
    "value",
)


def to_hubverse(forecast: QuantileForecast, model_id: str) -> pd.DataFrame:
    """A quantile forecast as hubverse model output (with a ``model_id`` column)."""
    long = forecast.to_frame()
    week_end = pd.Timedelta(days=6)
    frame = pd.DataFrame(
        {
            "model_id": model_id,
            "reference_date": (long["origin"] + week_end).dt.strftime("%Y-%m-%d"),
            "horizon": long["horizon"].astype("int64"),
            "target_end_date": (long["target_week"] + week_end).dt.strftime("%Y-%m-%d"),
            "location": long["region"].astype(str),
            "target": TARGET,
            "output_type": "quantile",
            "output_type_id": long["quantile"].round(6),
            "value": long["value"].astype("float64"),
        }
    )
    return frame[list(COLUMNS)]


def write_hubverse(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write hubverse output as CSV or Parquet, chosen by the file suffix."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".csv":
        frame.to_csv(path, index=False)
    elif path.suffix == ".parquet":
        frame.to_parquet(path, index=False)
    else:
        raise VigiaError(f"{path}: hubverse output must end in .csv or .parquet")
    return path
