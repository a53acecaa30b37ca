"""An MLflow pyfunc view of a Vigía forecast bundle, so registered versions load with
``mlflow.pyfunc.load_model("models:/NAME@champion")`` as well as from the model store."""

from __future__ import annotations

from typing import Any

import pandas as pd
from mlflow.pyfunc.model import PythonModel


class ForecastBundleModel(PythonModel):
    """Input: a panel (region, week_start, cases) or empty for the bundled history;
    output: long-format quantile forecasts."""

    def load_context(self, context: Any) -> None:
        from vigia.models.bundle import load_forecast_bundle

        self.model, self.history, self.manifest = load_forecast_bundle(context.artifacts["bundle"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        history = self.history if model_input is None or model_input.empty else model_input
        return self.model.predict(history).to_frame()
