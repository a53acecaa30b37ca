"""Paired block bootstrap over origins: blocks, pairing and the interval's meaning."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vigia.evaluate.bootstrap import block_resamples, paired_block_bootstrap


def table(wis_by_origin: list[float], regions: int = 2) -> pd.DataFrame:
    origins = pd.date_range("2022-01-02", periods=len(wis_by_origin), freq="7D")
    return pd.DataFrame(
        [
            {"region": f"R{r}", "origin": o, "horizon": 1, "wis": w}
            for o, w in zip(origins, wis_by_origin, strict=True)
            for r in range(regions)
        ]
    )


def test_blocks_are_runs_of_consecutive_origins() -> None:
    positions = block_resamples(n=10, block=4, resamples=50, seed=1)
    assert positions.shape == (50, 10)
    assert positions.min() >= 0 and positions.max() <= 9
    runs = positions[:, :4]
    assert (np.diff(runs, axis=1) == 1).all()


def test_a_constant_improvement_has_a_degenerate_interval() -> None:
    base = [10.0, 30.0, 5.0, 12.0, 40.0, 8.0, 9.0, 20.0, 11.0, 7.0]
    tables = {
        "persistence": table(base),
        "better": table([w - 2.0 for w in base]),  # 2 lower on every row
    }
    (result,) = paired_block_bootstrap(tables, [("better", "persistence")], resamples=300, block=3)
    assert result.difference == pytest.approx(-2.0)
    assert result.low == pytest.approx(-2.0) and result.high == pytest.approx(-2.0)
    assert result.relative_difference == pytest.approx(-2.0 / np.mean(base))
    assert result.share_a_better == 1.0


def test_noise_around_zero_gives_an_interval_holding_zero() -> None:
    rng = np.random.default_rng(0)
    base = list(rng.uniform(5, 15, size=60))
    tables = {
        "persistence": table(base),
        "same": table([w + e for w, e in zip(base, rng.normal(0, 1, size=60), strict=True)]),
    }
    (result,) = paired_block_bootstrap(tables, [("same", "persistence")], resamples=1000)
    assert result.low < 0 < result.high
    assert result.relative_low <= result.relative_difference <= result.relative_high
