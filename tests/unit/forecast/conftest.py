"""Forecasting fixtures: small real slices of the Peru panel and tiny model settings."""

from __future__ import annotations

import pandas as pd
import pytest

# Small enough for unit tests, same code paths as the real models.
TINY_LSTM = {"units": 4, "epochs": 2, "window": 8}
TINY_XGB = {"n_estimators": 10, "n_jobs": 1}
# Without the LSTM (each LSTM fit costs seconds of graph building and ONNX export) …
TINY_HYBRID = {
    "members": ["xgboost", "autoets", "persistence"],
    "folds": 1,
    "fold_weeks": 8,
    "member_params": {"xgboost": TINY_XGB},
}
# … and with it, where the LSTM matters (serving without TensorFlow).
TINY_HYBRID_LSTM = {
    "members": ["xgboost", "lstm"],
    "folds": 1,
    "fold_weeks": 8,
    "member_params": {"lstm": TINY_LSTM, "xgboost": TINY_XGB},
}


@pytest.fixture(scope="session")
def slice_panel(small_panel: pd.DataFrame) -> pd.DataFrame:
    """Three real departments, 2021–2022 (104 weeks)."""
    keep = small_panel["week_start"] >= pd.Timestamp("2021-01-03")
    return small_panel[keep].reset_index(drop=True)


@pytest.fixture(scope="session")
def zeros_panel(peru_panel: pd.DataFrame) -> pd.DataFrame:
    """Two real departments that are almost all zeros, plus PIURA, 2021–2022."""
    keep = peru_panel["region"].isin(["AREQUIPA", "CALLAO", "PIURA"]) & (
        peru_panel["week_start"] >= pd.Timestamp("2021-01-03")
    )
    return peru_panel[keep].reset_index(drop=True)
