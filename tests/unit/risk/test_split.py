"""Splits respect groups (no patient on both sides) and time (train past, test future)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vigia.errors import DataContractError
from vigia.risk.split import cv_folds, split_table, train_test
from vigia.risk.task import GROUP, TARGET, TIME, RiskTask


def _table(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    weeks = pd.date_range("2019-01-06", periods=200, freq="7D")
    return pd.DataFrame(
        {
            "x": rng.normal(size=rows),
            GROUP: rng.integers(0, rows // 3, rows),
            TIME: np.sort(rng.choice(weeks, rows)),
            TARGET: (rng.random(rows) < 0.2).astype("int8"),
        }
    )


def test_group_split_keeps_every_group_on_one_side() -> None:
    table = _table()
    split = train_test(table, RiskTask(target="y", group_col="g", test_size=0.25))
    groups = table[GROUP].to_numpy()
    assert not set(groups[split.train]) & set(groups[split.test])
    assert split.info["groups_in_both"] == 0
    assert 0.15 < len(split.test) / len(table) < 0.35
    assert len(split.train) + len(split.test) == len(table)


def test_time_split_trains_on_the_past_and_tests_on_the_future() -> None:
    table = _table()
    task = RiskTask(target="y", time_col="t", test_from="2022-01-02")
    train, test, info = split_table(table, task)
    assert train[TIME].max() < pd.Timestamp("2022-01-02") <= test[TIME].min()
    assert info["rule"] == "time" and info["test_from"] == "2022-01-02"
    default = train_test(table, RiskTask(target="y", time_col="t", test_size=0.2))
    assert table[TIME].iloc[default.train].max() < table[TIME].iloc[default.test].min()


def test_time_and_group_split_drops_training_rows_of_test_groups() -> None:
    table = _table()
    task = RiskTask(target="y", time_col="t", group_col="g", test_from="2021-06-06")
    split = train_test(table, task)
    groups = table[GROUP].to_numpy()
    assert not set(groups[split.train]) & set(groups[split.test])
    assert split.info["train_rows_dropped_group_in_test"] > 0


def test_cv_folds_respect_time_and_groups() -> None:
    table = _table()
    for fit, val in cv_folds(table, RiskTask(target="y", time_col="t"), 3):
        assert table[TIME].iloc[fit].max() < table[TIME].iloc[val].min()
    folds = cv_folds(table, RiskTask(target="y", group_col="g"), 3)
    assert len(folds) == 3
    for fit, val in folds:
        assert not set(table[GROUP].iloc[fit]) & set(table[GROUP].iloc[val])
    plain = cv_folds(table, RiskTask(target="y"), 4)
    assert sorted(np.concatenate([val for _, val in plain]).tolist()) == list(range(len(table)))


def test_a_split_with_one_class_on_a_side_is_refused() -> None:
    table = _table()
    table.loc[table[TIME] >= pd.Timestamp("2022-01-02"), TARGET] = 0
    with pytest.raises(DataContractError, match="test set has only negative rows"):
        train_test(table, RiskTask(target="y", time_col="t", test_from="2022-01-02"))
