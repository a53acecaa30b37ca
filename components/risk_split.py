"""Risk split: train and test tables that respect groups (no patient on both sides) and time
(train on the past, test on the future)."""

from kfp.dsl import Dataset, Input, Output


def risk_split(
    table: Input[Dataset],
    task_spec: Input[Dataset],
    seed: int,
    dataset_train: Output[Dataset],
    dataset_test: Output[Dataset],
    info: Output[Dataset],
) -> str:
    """Returns the split rule (time, group or stratified)."""
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.risk.ingest import read_table, write_json, write_table
    from vigia.risk.split import split_table
    from vigia.risk.task import RiskTask

    task = RiskTask.from_json(Path(task_spec.path).read_text(encoding="utf-8"))
    with exit_on_user_error("split"):
        train_rows, test_rows, details = split_table(read_table(table.path), task, seed)
    write_table(train_rows, dataset_train.path)
    write_table(test_rows, dataset_test.path)
    write_json(info.path, details)
    print(
        f"split: {details['rule']} — {details['train_rows']} train rows "
        f"(prevalence {details['train_prevalence']:.3f}), {details['test_rows']} test rows "
        f"(prevalence {details['test_prevalence']:.3f})"
    )
    return str(details["rule"])
