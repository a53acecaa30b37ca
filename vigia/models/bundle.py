"""Model bundles: the self-describing folder a model is exported to, pushed and served from.

<bundle>/
  vigia-model.json     kind, name, version, metrics, data hash, inputs/outputs
  forecaster/          the saved forecaster (see Forecaster.save)
  history.parquet      recent weekly counts per region (the default input for forecasts)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.errors import NotFoundError
from vigia.models.base import Forecaster, load_forecaster

MANIFEST = "vigia-model.json"
HISTORY_WEEKS = 104  # weeks of recent history kept in a forecast bundle


def write_forecast_bundle(
    folder: str | Path, model: Forecaster, panel: pd.DataFrame, meta: dict[str, Any]
) -> Path:
    """Export a fitted forecaster, the recent history it forecasts from, and its manifest."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save(folder / "forecaster")
    recent = panel.sort_values(["region", "week_start"]).groupby("region").tail(HISTORY_WEEKS)
    recent[["region", "week_start", "cases"]].to_parquet(folder / "history.parquet", index=False)
    manifest = {
        "kind": "forecaster",
        "method": model.name,
        "horizons": list(model.horizons),
        "quantile_levels": list(model.levels),
        "min_history": int(model.min_history),
        "regions": sorted(recent["region"].unique().tolist()),
        "last_week": f"{recent['week_start'].max():%Y-%m-%d}",
        **meta,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
    return folder


def read_manifest(folder: str | Path) -> dict[str, Any]:
    path = Path(folder) / MANIFEST
    if not path.exists():
        raise NotFoundError(f"{folder}: no {MANIFEST}; not a Vigía model bundle")
    return dict(json.loads(path.read_text(encoding="utf-8")))


def load_forecast_bundle(folder: str | Path) -> tuple[Forecaster, pd.DataFrame, dict[str, Any]]:
    """The forecaster, its bundled history and its manifest."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    history = pd.read_parquet(folder / "history.parquet")
    history["week_start"] = pd.to_datetime(history["week_start"]).astype("datetime64[ns]")
    return load_forecaster(folder / "forecaster"), history, manifest
