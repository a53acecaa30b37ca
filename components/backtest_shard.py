"""Backtest shard: one shard of the candidate's backtest (every method's forecasts over its refit
blocks), run once per item of the pipeline's ``ParallelFor``. Pure in its inputs (cached)."""

from kfp.dsl import Dataset, Input, Output


def backtest_shard(
    panel: Input[Dataset],
    method: str,
    seed: int,
    backtest_years: float,
    refit_every: int,
    backtest_shards: int,
    shard: int,
    forecasts: Output[Dataset],
) -> None:
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.evaluate.shard_files import write_shard
    from vigia.training import backtest_shard as run_shard
    from vigia.training import read_panel

    with exit_on_user_error("backtest shard"):
        found = run_shard(
            read_panel(panel.path),
            method,
            seed,
            backtest_years,
            refit_every,
            backtest_shards,
            int(shard),  # a loop item may arrive as a float
            progress=print,
        )
    write_shard(found, Path(forecasts.path))
