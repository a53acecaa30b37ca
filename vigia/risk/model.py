"""A trained risk model: preprocessing + classifier, its probability calibration, the chosen
threshold, and the feature schema it expects. Saved with joblib inside a model bundle; loaded
only from bundles Vigía wrote (the model store holds gate-approved versions only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd

from vigia.risk.task import Feature

MODEL_FILE = "model.joblib"
# A calibrated risk is never exactly 0 or 1: isotonic calibration maps whole score ranges to the
# hold-out's empirical rate, which can be 0.
PROBABILITY_FLOOR = 1e-4


def feature_frame(rows: pd.DataFrame, features: list[Feature]) -> pd.DataFrame:
    """The model's input columns, typed: numbers as float64, categories as text (NaN missing)."""
    out = {}
    for f in features:
        values = rows[f.name]
        if f.kind == "numeric":
            out[f.name] = pd.to_numeric(values, errors="coerce").astype("float64")
        else:
            out[f.name] = values.astype(object).where(values.notna(), np.nan)
    return pd.DataFrame(out, index=rows.index)


class RiskModel:
    """A calibrated binary classifier over a feature schema.

    Attributes:
        features: The input schema (names, kinds).
        family: Model family (``xgboost``, ``logistic_regression``, …).
        params: The chosen hyper-parameters.
        pipeline: The fitted preprocessing + classifier.
        calibrator: A fitted ``CalibratedClassifierCV`` around the frozen pipeline, or None.
        threshold: Probability at or above which a row is flagged positive.
    """

    def __init__(
        self,
        features: list[Feature],
        family: str,
        params: dict[str, Any],
        pipeline: Any,
        calibrator: Any,
        threshold: float,
        calibration: str,
    ) -> None:
        self.features = features
        self.family = family
        self.params = params
        self.pipeline = pipeline
        self.calibrator = calibrator
        self.threshold = threshold
        self.calibration = calibration

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def predict_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """Calibrated probability of the positive class per row."""
        frame = feature_frame(rows, self.features)
        model = self.calibrator if self.calibrator is not None else self.pipeline
        p = np.asarray(model.predict_proba(frame)[:, 1], dtype="float64")
        return np.clip(p, PROBABILITY_FLOOR, 1.0 - PROBABILITY_FLOOR)

    def raw_proba(self, rows: pd.DataFrame) -> np.ndarray:
        """The classifier's probability before calibration."""
        frame = feature_frame(rows, self.features)
        return np.asarray(self.pipeline.predict_proba(frame)[:, 1], dtype="float64")

    @property
    def has_contributions(self) -> bool:
        return self.family == "xgboost"

    def contributions(self, rows: pd.DataFrame) -> np.ndarray | None:
        """Per-feature contributions (SHAP values, log-odds of the uncalibrated classifier) and
        the bias in the last column: ``(rows, features + 1)``; None for other families."""
        if not self.has_contributions:
            return None
        import xgboost

        frame = feature_frame(rows, self.features)
        encoded = self.pipeline[:-1].transform(frame)
        classifier = self.pipeline[-1]
        matrix = xgboost.DMatrix(
            np.asarray(encoded, dtype="float64"),
            feature_types=classifier.feature_types,
            enable_categorical=True,
        )
        return np.asarray(
            classifier.get_booster().predict(matrix, pred_contribs=True), dtype="float64"
        )

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / MODEL_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(self, path, compress=3)
        return path

    @staticmethod
    def load(folder: str | Path) -> RiskModel:
        model = joblib.load(Path(folder) / MODEL_FILE)
        if not isinstance(model, RiskModel):
            raise TypeError(f"{folder}/{MODEL_FILE} does not hold a RiskModel")
        return model
