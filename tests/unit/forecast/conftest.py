"""Forecasting fixtures: small real slices of the Peru panel (model settings: forecast_settings)."""

from __future__ import annotations

import pandas as pd
import pytest


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
