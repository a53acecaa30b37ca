"""A split backtest (the pipeline's ParallelFor: plan → shards → merge) gives the single run's
forecasts and scores, bit for bit, on real Peru departments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_settings import TINY_XGB

from vigia.errors import VigiaError
from vigia.evaluate.backtest import (
    merge_shards,
    plan_backtest,
    rolling_origin_backtest,
    run_blocks,
)
from vigia.evaluate.shard_files import read_shard, write_shard
from vigia.models.baselines import Persistence, SeasonalNaive
from vigia.models.xgboost_forecaster import XGBoostForecaster
from vigia.training import (
    backtest_candidate,
    backtest_shard,
    backtest_shard_ranges,
    merge_backtest,
)


class SlowXGBoost(XGBoostForecaster):
    """Refitted every other block, like the hybrid: shards must start where all methods refit."""

    refit_weeks = 8


FACTORIES = {
    "persistence": Persistence,
    "seasonal_naive": SeasonalNaive,
    "slow": lambda: SlowXGBoost(**TINY_XGB),
}


def test_shards_start_at_common_refits_and_merge_to_the_single_run(
    slice_panel: pd.DataFrame, tmp_path: Path
) -> None:
    origins = sorted(slice_panel["week_start"].unique())[-26:-4]  # 22 origins: 6 blocks of ≤ 4
    single = rolling_origin_backtest(slice_panel, FACTORIES, origins=origins, refit_every=4)
    plan = plan_backtest(slice_panel, FACTORIES, origins, refit_every=4)
    assert plan.every["slow"] == 2 and plan.group == 2
    ranges = plan.shards(2)
    assert ranges == [(0, 4), (4, 6)]  # 3 fit groups of 2 blocks in 2 shards
    assert plan.shards(1) == [(0, 6)] and len(plan.shards(99)) == 3  # one per fit group at most
    parts = []
    for number, (first, stop) in enumerate(ranges):
        write_shard(run_blocks(slice_panel, FACTORIES, plan, first, stop), tmp_path / str(number))
        parts.append(read_shard(tmp_path / str(number)))
    merged = merge_shards(slice_panel, plan, reversed(parts))  # any order
    for name, forecast in single.forecasts.items():
        pd.testing.assert_frame_equal(merged.forecasts[name].keys, forecast.keys)
        np.testing.assert_array_equal(merged.forecasts[name].values, forecast.values)
    assert without_seconds(merged.scores_json()) == without_seconds(single.scores_json())

    with pytest.raises(VigiaError, match="do not start a fit group"):
        run_blocks(slice_panel, FACTORIES, plan, 1, 3)  # the slow model would be refitted late
    with pytest.raises(VigiaError, match="not 0…5 once each"):
        merge_shards(slice_panel, plan, parts[:1])


def test_candidate_scores_from_shards_equal_the_single_task(
    small_panel: pd.DataFrame, tmp_path: Path
) -> None:
    """What the pipeline's backtest steps compute, through the shard files, against
    ``backtest_candidate`` (a cheap candidate: the model-level identity is tested above)."""
    settings = {"years": 0.5, "refit_every": 4}
    single = backtest_candidate(small_panel, "seasonal_naive", 0, **settings, source="peru")
    ranges = backtest_shard_ranges(small_panel, "seasonal_naive", 0, **settings, shards=4)
    assert ranges == [(0, 2), (2, 3), (3, 5), (5, 6)]  # 22 origins: 6 blocks of ≤ 4
    parts = []
    for shard in range(len(ranges)):
        found = backtest_shard(small_panel, "seasonal_naive", 0, 0.5, 4, 4, shard)
        write_shard(found, tmp_path / str(shard))
        parts.append(read_shard(tmp_path / str(shard)))
    merged = merge_backtest(small_panel, "seasonal_naive", 0, parts, **settings, source="peru")
    assert without_seconds(merged) == without_seconds(single)
    assert merged["candidate"] == "seasonal_naive" and merged["scope"]["source"] == "peru"
    with pytest.raises(VigiaError, match="shard 4 does not exist"):
        backtest_shard(small_panel, "seasonal_naive", 0, 0.5, 4, 4, 4)


def without_seconds(scores: dict) -> dict:
    """Scores without the timings (the only part that differs between two runs)."""
    return {key: value for key, value in scores.items() if key != "seconds"}


def test_zero_backtest_shards_is_one_readable_line(cli, workspace) -> None:
    result = cli(["pipeline", "run", "training", "--backtest-shards", "0"])
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "vigia: error: --backtest-shards must be at least 1, got 0"
    ]
