"""Backtest merge: the shards' forecasts stacked and scored, the candidate's backtest scores
against the baselines (what the gate reads). Pure in its inputs (cached); the gate (the evaluate
step) reads the registry and always runs."""

from kfp.dsl import Dataset, Input, Output


def backtest_merge(
    panel: Input[Dataset],
    shards: Input[list[Dataset]],
    method: str,
    seed: int,
    backtest_years: float,
    refit_every: int,
    source: str,
    scores: Output[Dataset],
) -> None:
    import json
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.evaluate.shard_files import read_shard
    from vigia.training import merge_backtest, read_panel

    with exit_on_user_error("backtest merge"):
        parts = [read_shard(Path(shard.path)) for shard in shards]
        result = merge_backtest(
            read_panel(panel.path),
            method,
            seed,
            parts,
            years=backtest_years,
            refit_every=refit_every,
            source=source,
        )
    Path(scores.path).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"backtest merged {len(parts)} shard(s): {result['origins']} origins")
