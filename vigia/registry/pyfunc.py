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

    @staticmethod
    def example(bundle: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        """An input example (the last weeks of two regions of the bundled history, enough for
        the model's ``min_history``) and the model's real answer to it."""
        from vigia.models.bundle import load_forecast_bundle

        model, history, _ = load_forecast_bundle(bundle)
        weeks = max(int(getattr(model, "min_history", 1)), 8) + 4
        regions = sorted(history["region"].unique())[:2]
        rows = history[history["region"].isin(regions)]
        example = rows.groupby("region", group_keys=False).tail(weeks)
        example = example[["region", "week_start", "cases"]].reset_index(drop=True)
        return example, model.predict(example).to_frame()
