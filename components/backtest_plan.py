"""Backtest plan: how the candidate's backtest splits into shards (whole fit groups: blocks
where every method refits), one per item of the pipeline's ``ParallelFor``. Pure in its inputs."""

from kfp.dsl import Dataset, Input


def backtest_plan(
    panel: Input[Dataset],
    method: str,
    seed: int,
    backtest_years: float,
    refit_every: int,
    backtest_shards: int,
) -> list:
    """The shard numbers ``[0, …, n - 1]``, n ≤ ``backtest_shards``."""
    from vigia.errors import exit_on_user_error
    from vigia.training import backtest_shard_ranges, read_panel

    with exit_on_user_error("backtest plan"):
        ranges = backtest_shard_ranges(
            read_panel(panel.path), method, seed, backtest_years, refit_every, backtest_shards
        )
    for number, (first, stop) in enumerate(ranges):
        print(f"backtest shard {number}: refit blocks {first}…{stop - 1}")
    return list(range(len(ranges)))
