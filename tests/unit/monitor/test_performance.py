"""Scoring logged forecasts against the counts that arrived later."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.forecasts.quantiles import FLUSIGHT_LEVELS
from vigia.monitor.performance import PerformanceResult, score_logged
from vigia.monitor.window import LoggedForecasts, logged_forecasts
from vigia.payloads import read_payloads

CUT_OFF = pd.Timestamp("2021-12-26")
WEEKS = [CUT_OFF + pd.Timedelta(weeks=k) for k in range(1, 11)]


def logged(folder: Path) -> LoggedForecasts:
    return logged_forecasts(read_payloads(folder)[0])


def test_persistence_scores_exactly_like_persistence(
    serve_weeks: Callable[..., int], payload_folder: Path, peru_panel: pd.DataFrame
) -> None:
    serve_weeks(WEEKS)  # the live model is persistence itself
    as_of = WEEKS[-1]
    result = score_logged(logged(payload_folder), peru_panel, as_of, weeks=8, min_scored=10)
    assert result.assessed
    # The same forecasts as the baseline, up to the 3-decimal rounding of the payload log.
    assert result.overall["relative_wis"] == pytest.approx(1.0, abs=1e-5)
    assert result.overall["wis"] == pytest.approx(result.overall["persistence_wis"], rel=1e-5)
    targets = result.table["target_week"]
    assert targets.min() > as_of - pd.Timedelta(weeks=8) and targets.max() == as_of
    # every (origin, horizon) whose target is in the window and observed: 21 regions
    expected = sum(
        1
        for o in WEEKS
        for h in (1, 2, 3, 4)
        if as_of - pd.Timedelta(weeks=8) < o + pd.Timedelta(weeks=h) <= as_of
    )
    assert result.scored == 21 * expected
    assert set(result.by_horizon) == {"1", "2", "3", "4"} and len(result.by_region) == 21


def test_perfect_forecasts_have_zero_wis_and_full_coverage(
    serve_weeks: Callable[..., int], payload_folder: Path, peru_panel: pd.DataFrame
) -> None:
    serve_weeks(WEEKS[:6])
    rows = logged(payload_folder)
    truth = peru_panel.set_index(["region", "week_start"])["cases"]
    for i, (region, origin) in enumerate(
        zip(rows.inputs["region"], rows.inputs["origin"], strict=True)
    ):
        for j, h in enumerate(rows.horizons):
            target = origin + pd.Timedelta(weeks=h)
            rows.values[i, j, :] = truth.get((region, target), 0.0)
    result = score_logged(rows, peru_panel, WEEKS[5], weeks=4)
    assert result.overall["wis"] == 0.0 and result.overall["relative_wis"] == 0.0
    assert result.overall["coverage_90"] == 1.0 and result.overall["coverage_50"] == 1.0


def test_counts_not_yet_arrived_are_not_scored(
    serve_weeks: Callable[..., int], payload_folder: Path, peru_panel: pd.DataFrame
) -> None:
    serve_weeks(WEEKS[:2])
    # actuals only up to the first replayed week: nothing after it is known
    known = peru_panel[peru_panel["week_start"] <= WEEKS[0]]
    result = score_logged(logged(payload_folder), known, WEEKS[1], weeks=8, min_scored=1)
    assert not result.assessed and result.scored == 0


def test_too_few_scored_is_not_assessed_and_round_trips(
    serve_weeks: Callable[..., int], payload_folder: Path, peru_panel: pd.DataFrame, tmp_path: Path
) -> None:
    serve_weeks(WEEKS[:2])
    result = score_logged(logged(payload_folder), peru_panel, WEEKS[1], weeks=8, min_scored=80)
    assert not result.assessed and result.scored == 21
    assert "fewer than min_scored=80" in result.reason
    full = score_logged(logged(payload_folder), peru_panel, WEEKS[1], weeks=8, min_scored=1)
    full.save(tmp_path)
    back = PerformanceResult.load(tmp_path)
    assert back.to_dict() == full.to_dict()
    pd.testing.assert_frame_equal(back.table, full.table)


def test_levels_are_the_hub_standard(serve_weeks: Callable[..., int], payload_folder: Path) -> None:
    serve_weeks(WEEKS[:1])
    assert logged(payload_folder).levels == FLUSIGHT_LEVELS
    assert np.isfinite(logged(payload_folder).values).all()
