"""Drift with real Evidently reports on real Peru slices: a planted shift is detected, a sample of
the reference itself is not flagged."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vigia.features.forecast import build_features
from vigia.monitor.config import MonitorConfig
from vigia.monitor.drift import DATA, DriftResult, drift_check, parse_drift_snapshot

CUT_OFF = pd.Timestamp("2021-12-26")
CONFIG = MonitorConfig()


@pytest.fixture(scope="module")
def features(peru_panel: pd.DataFrame) -> pd.DataFrame:
    return build_features(peru_panel)


@pytest.fixture(scope="module")
def reference(features: pd.DataFrame) -> pd.DataFrame:
    return features[features["origin"] <= CUT_OFF].reset_index(drop=True)


def columns(frame: pd.DataFrame) -> list[str]:
    return [c for c in frame.columns if c not in ("region", "origin")]


def test_a_sample_of_the_reference_is_not_flagged(reference: pd.DataFrame) -> None:
    current = reference.sample(84, random_state=7)  # 21 regions × 4 weeks worth of rows
    result = drift_check(reference, current, columns(reference), CONFIG)
    assert result.assessed and result.snapshot is not None
    assert result.share is not None and result.share < CONFIG.drift_share_warn
    assert {"woy_sin", "woy_cos"} <= set(result.untested)  # the calendar is never tested
    assert len(result.columns) + len(result.untested) == len(columns(reference))
    assert len(result.columns) >= 15


def test_a_reporting_collapse_is_detected(
    peru_panel: pd.DataFrame, reference: pd.DataFrame
) -> None:
    # Plant a COVID-style reporting disruption: from 2022-01-02 every region reports a tenth of
    # its real counts. Four weeks later the features of all 21 regions must look shifted.
    collapsed = peru_panel.copy()
    late = collapsed["week_start"] > CUT_OFF
    collapsed.loc[late, "cases"] = np.floor(collapsed.loc[late, "cases"] * 0.1)
    planted = build_features(collapsed)
    window = planted[
        (planted["origin"] > CUT_OFF + pd.Timedelta(weeks=2))
        & (planted["origin"] <= CUT_OFF + pd.Timedelta(weeks=6))
    ]
    result = drift_check(reference, window, columns(reference), CONFIG)
    assert result.share is not None and result.share >= CONFIG.drift_share_retrain
    # Weeks before the collapse now stand far above the collapsed recent level.
    assert {"lag_6", "lag_7"} <= set(result.drifted)
    # The same weeks without the planted collapse drift much less.
    real = build_features(peru_panel)
    honest = real[real["origin"].isin(window["origin"].unique())]
    baseline = drift_check(reference, honest, columns(reference), CONFIG)
    assert baseline.share is not None and baseline.share < result.share


def test_too_few_rows_are_not_assessed(reference: pd.DataFrame) -> None:
    result = drift_check(reference, reference.head(5), columns(reference), CONFIG)
    assert not result.assessed and result.snapshot is None
    assert "fewer than min_rows=40" in result.reason


def test_snapshot_parsing_and_round_trip(reference: pd.DataFrame, tmp_path) -> None:
    result = drift_check(reference, reference.sample(60, random_state=1), ["level"], CONFIG, DATA)
    share, per_column = parse_drift_snapshot(result.snapshot.dict())
    assert share == result.share and set(per_column) == {"level"}
    assert "wasserstein" in per_column["level"]["method"].lower()
    result.save(tmp_path)
    back = DriftResult.load(tmp_path, DATA)
    assert back.to_dict() == result.to_dict()
    assert back.snapshot is not None
