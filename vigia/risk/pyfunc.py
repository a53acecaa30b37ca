"""An MLflow pyfunc view of a classifier bundle, so registered risk models load with
``mlflow.pyfunc.load_model("models:/NAME@champion")`` as well as from the model store."""

from __future__ import annotations

from typing import Any

import mlflow.pyfunc
import pandas as pd


class ClassifierBundleModel(mlflow.pyfunc.PythonModel):  # type: ignore[name-defined]
    """Input: rows with the model's feature columns; output: ``probability`` (calibrated) and
    ``flag`` (probability at or above the bundle's threshold)."""

    def load_context(self, context: Any) -> None:
        from vigia.risk.bundle import load_classifier_bundle

        self.model, self.manifest = load_classifier_bundle(context.artifacts["bundle"])

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> pd.DataFrame:
        probability = self.model.predict_proba(model_input)
        return pd.DataFrame(
            {"probability": probability, "flag": probability >= self.model.threshold},
            index=model_input.index,
        )

    @staticmethod
    def example(bundle: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
        """An input example (two rows: each feature's median or most frequent category, then
        its range's ends) and the model's real answer to it."""
        from vigia.risk.bundle import load_classifier_bundle

        model, _ = load_classifier_bundle(bundle)
        rows: list[dict[str, Any]] = [{}, {}]
        for feature in model.features:
            if feature.kind == "numeric":
                middle = feature.median if feature.median is not None else 0.0
                rows[0][feature.name] = float(middle)
                rows[1][feature.name] = float(
                    feature.maximum if feature.maximum is not None else middle
                )
            else:
                categories = list(feature.categories or ["unknown"])
                rows[0][feature.name] = str(categories[0])
                rows[1][feature.name] = str(categories[-1])
        example = pd.DataFrame(rows)
        wrapper = ClassifierBundleModel()
        wrapper.model = model
        return example, wrapper.predict(None, example)
