"""A backtest shard on disk (what one task of a split backtest hands the merge): a folder with
``forecasts.parquet`` (one row per method, region and origin; one float column per horizon and
quantile level, so the values come back bit for bit) and ``shard.json`` (its blocks, the
horizons and levels, and each method's seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from vigia.evaluate.backtest import ShardResult
from vigia.forecasts.quantiles import QuantileForecast

FORECASTS, META = "forecasts.parquet", "shard.json"


def write_shard(shard: ShardResult, folder: Path) -> None:
    """Write ``shard`` into ``folder`` (created)."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for name, forecast in shard.forecasts.items():
        rows, horizons, levels = forecast.values.shape
        values = pd.DataFrame(forecast.values.reshape(rows, horizons * levels))
        values.columns = [str(i) for i in range(horizons * levels)]
        frames.append(pd.concat([forecast.keys.assign(method=name), values], axis=1))
    pd.concat(frames, ignore_index=True).to_parquet(folder / FORECASTS, index=False)
    any_forecast = next(iter(shard.forecasts.values()))
    meta = {
        "first": shard.first,
        "stop": shard.stop,
        "methods": list(shard.forecasts),
        "horizons": list(any_forecast.horizons),
        "levels": list(any_forecast.levels),
        "seconds": shard.seconds,
    }
    (folder / META).write_text(json.dumps(meta, indent=2), encoding="utf-8")


def read_shard(folder: Path) -> ShardResult:
    """The shard :func:`write_shard` wrote into ``folder``."""
    meta = json.loads((folder / META).read_text(encoding="utf-8"))
    table = pd.read_parquet(folder / FORECASTS)
    horizons, levels = tuple(meta["horizons"]), tuple(meta["levels"])
    columns = [str(i) for i in range(len(horizons) * len(levels))]
    forecasts = {}
    for name in meta["methods"]:
        rows = table[table["method"] == name]
        values = rows[columns].to_numpy().reshape(len(rows), len(horizons), len(levels))
        forecasts[name] = QuantileForecast(rows[["region", "origin"]], values, horizons, levels)
    return ShardResult(meta["first"], meta["stop"], forecasts, meta["seconds"])
