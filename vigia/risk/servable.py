"""The classifier servable: calibrated risk scores for rows of features from a classifier bundle.

Request rows (V1 instances, or one V2 tensor per feature: ``FP64`` numbers, ``BYTES`` text)::

    {"edad": 34, "sexo": "F", "departamento": "PIURA", ...}

Every feature of the model must be present (``null`` only where training data had missing
values); numbers must be JSON numbers and categories strings (whole numbers are accepted as
category codes). An unknown field, a missing feature or a wrong type is a 400 naming the field.
Responses carry the calibrated ``probability``, the ``flag`` at the model's threshold and, for
XGBoost models, per-feature ``contributions`` (SHAP values in log-odds of the uncalibrated
model; V1: the five largest, V2: all, bias last).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import numpy as np
import pandas as pd

from vigia.risk.model import RiskModel
from vigia.risk.task import Feature
from vigia.servables.base import Servable, Tensor, TensorSpec, json_type
from vigia.servables.errors import InvalidRequest

TOP_CONTRIBUTIONS = 5


@dataclass
class RiskResult:
    """Model output for a batch."""

    probability: np.ndarray  # (rows,)
    contributions: np.ndarray | None  # (rows, features + 1) or None


class ClassifierServable(Servable):
    """Serves a classifier bundle (``kind == "classifier"``)."""

    kind = "classifier"

    def __init__(self, folder: Path, manifest: dict[str, Any], model: RiskModel) -> None:
        super().__init__(folder, manifest)
        self.model = model
        self.features: list[Feature] = list(model.features)
        self.by_name = {f.name: f for f in self.features}
        self.threshold = float(manifest.get("threshold", model.threshold))

    @property
    def declared_fields(self) -> list[str]:
        return [f.name for f in self.features]

    @classmethod
    def from_bundle(cls, folder: Path, manifest: dict[str, Any]) -> Self:
        return cls(Path(folder), manifest, RiskModel.load(folder))

    def canned_requests(self) -> list[dict[str, Any]]:
        """One row: numeric features 0, categorical features their most common category."""
        row: dict[str, Any] = {}
        for f in self.features:
            if f.kind == "numeric":
                row[f.name] = 0.0
            else:
                row[f.name] = f.categories[0] if f.categories else ("" if not f.nullable else None)
        return [{"instances": [row]}]

    # --- declared inputs and outputs -----------------------------------------------------------
    @property
    def inputs(self) -> list[TensorSpec]:
        return [
            TensorSpec(
                f.name,
                "FP64" if f.kind == "numeric" else "BYTES",
                (-1,),
                description=f"{f.kind} feature" + (" (may be missing)" if f.nullable else ""),
            )
            for f in self.features
        ]

    @property
    def input_parameters(self) -> dict[str, dict[str, Any]]:
        """What each input accepts beyond its V2 datatype (KServe's REST metadata carries only
        name, datatype and shape): kind, whether it may be missing, the known categories (all of
        them when ``complete``) or the numeric range and median seen in the training data."""
        out: dict[str, dict[str, Any]] = {}
        for f in self.features:
            entry: dict[str, Any] = {"kind": f.kind, "nullable": f.nullable}
            if f.kind == "categorical":
                entry["categories"] = list(f.categories)
                entry["complete"] = bool(f.categories) and f.levels <= len(f.categories)
            else:
                entry.update(minimum=f.minimum, maximum=f.maximum, median=f.median)
            out[f.name] = entry
        return out

    @property
    def outputs(self) -> list[TensorSpec]:
        specs = [
            TensorSpec("probability", "FP64", (-1,), description="calibrated risk (0–1)"),
            TensorSpec("flag", "BOOL", (-1,), description=f"probability >= {self.threshold:.4f}"),
        ]
        if self.model.has_contributions:
            specs.append(
                TensorSpec(
                    "contributions",
                    "FP32",
                    (-1, len(self.features) + 1),
                    description="per-feature log-odds contributions, in input order, bias last",
                )
            )
        return specs

    # --- parsing -------------------------------------------------------------------------------
    def parse_v1(self, body: Any) -> pd.DataFrame:
        rows = []
        for i, instance in enumerate(self.check_instances(body)):
            where = f"instances[{i}]"
            unknown = sorted(set(instance) - set(self.by_name))
            if unknown:
                raise InvalidRequest(
                    "unknown_field",
                    f"{where}: unknown field(s) {', '.join(map(repr, unknown))}; "
                    f"this model's features are {', '.join(self.by_name)}",
                )
            rows.append({f.name: self._value(instance, f, where) for f in self.features})
        return pd.DataFrame(rows, columns=[f.name for f in self.features])

    def _value(self, instance: dict[str, Any], feature: Feature, where: str) -> Any:
        name = f"{where}.{feature.name}"
        if feature.name not in instance:
            raise InvalidRequest(
                "missing_field", f"{name} is missing ({feature.kind} feature of this model)"
            )
        value = instance[feature.name]
        if value is None:
            if not feature.nullable:
                raise InvalidRequest(
                    "missing_field",
                    f"{name} is null; this model needs a value (it was never missing in training)",
                )
            return np.nan if feature.kind == "numeric" else None
        if feature.kind == "numeric":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InvalidRequest(
                    "wrong_type", f"{name} must be a number, got {json_type(value)}"
                )
            if not math.isfinite(float(value)):
                raise InvalidRequest("non_finite", f"{name} is not a finite number")
            return float(value)
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        raise InvalidRequest(
            "wrong_type", f"{name} must be a string (a category), got {json_type(value)}"
        )

    def parse_v2(self, tensors: dict[str, Tensor]) -> pd.DataFrame:
        columns = {}
        for f in self.features:
            data = tensors[f.name].data
            assert data is not None  # check_v2 decoded every tensor
            columns[f.name] = (
                data.astype("float64") if f.kind == "numeric" else [str(v).strip() for v in data]
            )
        return pd.DataFrame(columns, columns=[f.name for f in self.features])

    # --- prediction ----------------------------------------------------------------------------
    def predict(self, batch: pd.DataFrame) -> RiskResult:
        return RiskResult(self.model.predict_proba(batch), self.model.contributions(batch))

    # --- responses -----------------------------------------------------------------------------
    def v1_predictions(self, batch: pd.DataFrame, result: RiskResult) -> list[dict[str, Any]]:
        names = [f.name for f in self.features]
        out = []
        for i, p in enumerate(result.probability):
            row: dict[str, Any] = {
                "probability": float(p),
                "flag": bool(p >= self.threshold),
                "threshold": self.threshold,
            }
            if result.contributions is not None:
                values = result.contributions[i]
                order = np.argsort(-np.abs(values[:-1]))[:TOP_CONTRIBUTIONS]
                row["contributions"] = {names[j]: float(values[j]) for j in order}
                row["contributions_bias"] = float(values[-1])
            out.append(row)
        return out

    def v2_outputs(self, batch: pd.DataFrame, result: RiskResult) -> list[Tensor]:
        arrays: dict[str, np.ndarray] = {
            "probability": result.probability.astype("float64"),
            "flag": result.probability >= self.threshold,
        }
        if result.contributions is not None:
            arrays["contributions"] = result.contributions.astype("float32")
        return [
            Tensor(spec.name, spec.datatype, list(arrays[spec.name].shape), arrays[spec.name])
            for spec in self.outputs
        ]

    def v1_result(self, batch: pd.DataFrame, predictions: list[Any]) -> RiskResult:
        try:
            probability = np.array([p["probability"] for p in predictions], dtype="float64")
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidRequest(
                "malformed", f"response predictions lack probability ({exc})"
            ) from None
        return self._checked(batch, probability)

    def v2_result(self, batch: pd.DataFrame, outputs: dict[str, np.ndarray]) -> RiskResult:
        if "probability" not in outputs:
            raise InvalidRequest("missing_field", "response has no 'probability' output")
        return self._checked(batch, np.asarray(outputs["probability"], dtype="float64"))

    def _checked(self, batch: pd.DataFrame, probability: np.ndarray) -> RiskResult:
        if probability.shape != (len(batch),):
            raise InvalidRequest(
                "wrong_shape",
                f"response probability has shape {probability.shape}; expected ({len(batch)},)",
            )
        return RiskResult(probability, None)

    def payload_rows(
        self, batch: pd.DataFrame, result: RiskResult
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Input rows: the feature values the model saw; outputs: probability and flag."""
        inputs = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in row.items()}
            for row in batch.to_dict(orient="records")
        ]
        outputs = [
            {"probability": round(float(p), 6), "flag": bool(p >= self.threshold)}
            for p in result.probability
        ]
        return inputs, outputs
