"""The training snapshot a risk model is monitored against.

Training writes it beside the model (never inside the bundle) and the register step logs it to
the version's MLflow run as artifact ``reference/``, so every version carries its own reference
(found by lineage, as for the forecaster: :mod:`vigia.monitor.reference`).

It holds a random sample of the training rows (up to ``MAX_ROWS``): the feature values the
model needs (no identifiers, no target, no group or time column), the calibrated probability the
model gives them (``__probability__``) and whether the row belongs to the calibration hold-out
(``__holdout__``). The features of the whole training period are the reference of input drift
(the hold-out alone is the most recent weeks, whose case mix is local to them); the scores of the
hold-out rows — which the classifier was not fitted on — are the reference of score drift
(in-sample scores of a forest are more extreme than any new case's).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from vigia.risk.model import RiskModel, feature_frame
from vigia.risk.split import split_rows
from vigia.risk.task import RiskTask
from vigia.risk.train import CALIBRATION_SHARE

SNAPSHOT_FILE = "snapshot.parquet"
PROBABILITY = "__probability__"
HOLDOUT = "__holdout__"
MAX_ROWS = 20_000


def training_snapshot(
    train: pd.DataFrame,
    task: RiskTask,
    model: RiskModel,
    seed: int = 0,
    calibration_share: float = CALIBRATION_SHARE,
    max_rows: int = MAX_ROWS,
) -> pd.DataFrame:
    """A sample of the training rows: features, the model's probability and the hold-out flag
    (the rows training held out for calibration: :func:`vigia.risk.split.split_rows` with the same
    share and seed)."""
    train = train.reset_index(drop=True)
    holdout = np.zeros(len(train), dtype=bool)
    holdout[split_rows(train, task, calibration_share, seed).test] = True
    keep = np.arange(len(train))
    if len(keep) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(keep, max_rows, replace=False))
    snapshot = feature_frame(train.iloc[keep], model.features).reset_index(drop=True)
    snapshot[PROBABILITY] = model.predict_proba(snapshot)
    snapshot[HOLDOUT] = holdout[keep]
    return snapshot


def write_snapshot(snapshot: pd.DataFrame, folder: str | Path) -> Path:
    """``folder/snapshot.parquet`` (the folder logged as the run's ``reference/``)."""
    path = Path(folder) / SNAPSHOT_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    categorical = snapshot.select_dtypes(include="object").columns
    snapshot.astype({c: "string" for c in categorical}).to_parquet(path, index=False)
    return path
