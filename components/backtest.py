"""Backtest: the candidate's rolling-origin scores against the baselines. Pure in its inputs
(panel, method, seed, settings), so a rerun on unchanged data takes it from the cache; the gate
(the evaluate step) reads the registry and always runs."""

from kfp.dsl import Dataset, Input, Output


def backtest(
    panel: Input[Dataset],
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
    from vigia.training import backtest_candidate, read_panel

    with exit_on_user_error("backtest"):
        result = backtest_candidate(
            read_panel(panel.path),
            method,
            seed,
            years=backtest_years,
            refit_every=refit_every,
            progress=print,
            source=source,
        )
    Path(scores.path).write_text(json.dumps(result, indent=2), encoding="utf-8")
