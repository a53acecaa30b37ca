"""What a risk model is asked to learn: the target, which values are positive, how to split.

A :class:`RiskTask` travels between pipeline steps as JSON (``to_json``/``from_json``). After
validation it also carries the :class:`Feature` schema the model is trained on, which is what
the bundle manifest and the serving contract are made of.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

# Fixed column names of a validated risk table (see vigia.risk.validate.prepare_table).
TARGET = "__target__"  # 1 = positive, 0 = negative
GROUP = "__group__"  # surrogate integer code of the group column (never the identifier itself)
TIME = "__time__"  # the time column, parsed (datetime64 or float)
RESERVED = (TARGET, GROUP, TIME)

FeatureKind = Literal["numeric", "categorical"]


@dataclass
class Feature:
    """One model input: its name, kind and what training saw of it.

    Attributes:
        name: Column name (the field name in requests).
        kind: ``numeric`` (float) or ``categorical`` (text).
        nullable: Whether training data had missing values (requests may send ``null``).
        categories: Most frequent values of a categorical feature (up to 50).
        levels: Number of distinct values of a categorical feature.
        minimum, maximum, median: Range and median of a numeric feature in the validated table
            (None for categories and for models trained before they were recorded).
    """

    name: str
    kind: FeatureKind
    nullable: bool = False
    categories: list[str] = field(default_factory=list)
    levels: int = 0
    minimum: float | None = None
    maximum: float | None = None
    median: float | None = None


@dataclass
class RiskTask:
    """A binary risk-classification task over a table.

    Attributes:
        target: Target column in the source.
        positive: Target values (as text) that count as positive; every other value is negative.
        group_col: Rows sharing a value (a patient) stay on one side of every split; never a
            feature.
        time_col: Train on the past, test on the future; never a feature.
        test_from: First time value of the test period (ISO date or number); default: the time
            at which the last ``test_size`` share of rows starts.
        test_size: Share of rows (or groups) held out for testing when there is no ``test_from``.
        slice_cols: Columns whose values define the slices metrics are reported for.
        exclude_cols: Columns kept for slicing but not used as features.
        categorical: Columns treated as categorical even if they hold numbers (codes).
        drop_cols: Columns removed at ingest (never stored).
        name: Registered model name.
        label: What the data is, for reports.
        features: The validated feature schema (filled by validation).
    """

    target: str
    positive: list[str] = field(default_factory=list)
    group_col: str = ""
    time_col: str = ""
    test_from: str = ""
    test_size: float = 0.2
    slice_cols: list[str] = field(default_factory=list)
    exclude_cols: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    drop_cols: list[str] = field(default_factory=list)
    name: str = "risk-model"
    label: str = ""
    features: list[Feature] = field(default_factory=list)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    def feature(self, name: str) -> Feature:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RiskTask:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["features"] = [Feature(**f) for f in data.get("features", [])]
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> RiskTask:
        return cls.from_dict(json.loads(text))
