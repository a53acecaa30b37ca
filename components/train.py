"""Train: fit the chosen forecaster on the whole panel and export a model bundle."""

from kfp.dsl import Dataset, Input, Model, Output


def train(
    panel: Input[Dataset], method: str, seed: int, data_hash: str, model: Output[Model]
) -> None:
    import time
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.training import read_panel, train_forecaster

    started = time.perf_counter()
    with exit_on_user_error("train"):
        fitted = train_forecaster(
            read_panel(panel.path), method, seed, Path(model.path), {"data_hash": data_hash}
        )
    model.metadata.update({"method": fitted.name, "data_hash": data_hash, "seed": seed})
    print(f"train: {method} fitted in {time.perf_counter() - started:.1f}s")
