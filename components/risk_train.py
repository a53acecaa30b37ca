"""Risk train: model selection by cross-validation (logistic regression, random forest,
gradient boosting, XGBoost), refit, probability calibration on a hold-out; exports the
classifier bundle and the training snapshot monitoring compares live requests with."""

from kfp.dsl import Dataset, Input, Markdown, Metrics, Model, Output


def risk_train(
    dataset_train: Input[Dataset],
    task_spec: Input[Dataset],
    data_hash: str,
    families: str,
    n_iter: int,
    folds: int,
    calibration: str,
    seed: int,
    jobs: int,
    model: Output[Model],
    selection: Output[Dataset],
    selection_table: Output[Markdown],
    metrics: Output[Metrics],
    reference: Output[Dataset],
) -> None:
    import time
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.risk import workflow
    from vigia.risk.ingest import read_table, write_json
    from vigia.risk.snapshot import training_snapshot, write_snapshot
    from vigia.risk.task import RiskTask

    started = time.perf_counter()
    task = RiskTask.from_json(Path(task_spec.path).read_text(encoding="utf-8"))
    chosen = [f.strip() for f in families.split(",") if f.strip()] or None
    train = read_table(dataset_train.path)
    with exit_on_user_error("train"):
        fitted, report = workflow.train_step(
            train,
            task,
            Path(model.path),
            data_hash,
            families=chosen,
            n_iter=n_iter,
            folds=folds,
            calibration=calibration,
            seed=seed,
            jobs=jobs,
            progress=print,
        )
    write_snapshot(training_snapshot(train, task, fitted, seed=seed), reference.path)
    write_json(selection.path, report)
    Path(selection_table.path).write_text(
        "# Model selection\n\n" + workflow.selection_table(report) + "\n", encoding="utf-8"
    )
    model.metadata.update({"method": fitted.family, "data_hash": data_hash, "seed": seed})
    metrics.log_metric("cv_roc_auc", float(report["chosen"]["cv_roc_auc"]))
    metrics.log_metric("candidates", float(len(report["candidates"])))
    print(f"train: done in {time.perf_counter() - started:.0f}s")
