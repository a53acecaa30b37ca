"""The live forecast: what the model currently in the store predicts for the next weeks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.forecasts.quantiles import QuantileForecast
from vigia.models.base import Forecaster

FORECAST_MODEL = "dengue-forecast"


@dataclass
class LiveForecast:
    """The live model's forecast from its bundled history, with what identifies it."""

    forecast: QuantileForecast
    history: pd.DataFrame
    manifest: dict[str, Any]
    folder: Path
    forecaster: Forecaster

    @property
    def model_label(self) -> str:
        """``name v<version> (<method>)``, as shown to users."""
        m = self.manifest
        return f"{m.get('name', FORECAST_MODEL)} v{m.get('version', '?')} ({m.get('method', '?')})"

    def meta(self) -> dict[str, Any]:
        """Model identity for output documents."""
        m = self.manifest
        return {
            "model": {
                "name": m.get("name", FORECAST_MODEL),
                "version": m.get("version"),
                "method": m.get("method"),
                "data_last_week": m.get("last_week"),
            }
        }


def live_forecast(models_root: str | Path, name: str = FORECAST_MODEL) -> LiveForecast:
    """Load the current version of ``name`` from the model store and forecast the next weeks.

    Raises:
        NotFoundError: Nothing has been pushed yet (the message says how to train one).
    """
    from vigia.errors import NotFoundError
    from vigia.models.bundle import load_forecast_bundle
    from vigia.registry.store import ModelStore

    try:
        folder = ModelStore(models_root).current_dir(name)
    except NotFoundError:
        raise NotFoundError(
            f"no live {name!r} model in {models_root}: run `vigia pipeline run training` first "
            "(only a model approved by the gate goes live)"
        ) from None
    forecaster, history, manifest = load_forecast_bundle(folder)
    return LiveForecast(forecaster.predict(history), history, manifest, Path(folder), forecaster)
