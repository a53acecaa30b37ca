"""Splits that respect groups and time: no group (patient) on both sides, the past to train and
the future to test. The same rule makes the test split, the calibration hold-out and the
cross-validation folds.

- time column: test = rows at or after ``test_from`` (default: the time where the last
  ``test_size`` share of rows starts); with a group column as well, training rows of groups that
  also appear in the test period are dropped;
- group column only: a random share of the groups is held out;
- neither: a stratified random split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import DataContractError
from vigia.risk.task import GROUP, TARGET, TIME, RiskTask
from vigia.risk.validate import parse_time_value


@dataclass
class Split:
    """Row positions of the two sides and what the split did."""

    train: np.ndarray
    test: np.ndarray
    info: dict[str, Any] = field(default_factory=dict)


def _time_cut(times: pd.Series, share: float) -> Any:
    """The time value where the last ``share`` of rows starts (a value present in the data)."""
    ordered = np.sort(times.to_numpy())
    return ordered[min(int(len(ordered) * (1 - share)), len(ordered) - 1)]


def _describe(value: Any) -> str:
    if isinstance(value, (pd.Timestamp, np.datetime64)):
        return f"{pd.Timestamp(value):%Y-%m-%d}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def split_rows(
    table: pd.DataFrame, task: RiskTask, share: float, seed: int, cut: str = ""
) -> Split:
    """Split ``table`` into a larger and a held-out part by the task's rule.

    Args:
        table: A risk table (``__target__`` and, if the task has them, ``__group__``/``__time__``).
        task: Decides the rule (time, group, or stratified).
        share: Share of rows (time, stratified) or groups held out when ``cut`` is not given.
        seed: Random seed (group and stratified splits).
        cut: First time value of the held-out part (time rule only).
    """
    positions = np.arange(len(table))
    y = table[TARGET].to_numpy()
    info: dict[str, Any] = {}
    if task.time_col:
        times = table[TIME]
        start = parse_time_value(cut, times, "--test-from") if cut else _time_cut(times, share)
        later = (times >= start).to_numpy()
        train, test = positions[~later], positions[later]
        info.update(rule="time", test_from=_describe(start))
        if len(train):
            info["train_period"] = [
                _describe(times.iloc[train].min()),
                _describe(times.iloc[train].max()),
            ]
        if len(test):
            info["test_period"] = [
                _describe(times.iloc[test].min()),
                _describe(times.iloc[test].max()),
            ]
        if task.group_col and len(test):
            shared = np.isin(table[GROUP].to_numpy()[train], table[GROUP].to_numpy()[test])
            info["train_rows_dropped_group_in_test"] = int(shared.sum())
            train = train[~shared]
    elif task.group_col:
        groups = table[GROUP].to_numpy()
        distinct = np.random.default_rng(seed).permutation(np.unique(groups))
        held = np.isin(groups, distinct[: max(round(len(distinct) * share), 1)])
        train, test = positions[~held], positions[held]
        info.update(rule="group", held_out_groups=int(np.unique(groups[held]).size))
    else:
        rng = np.random.default_rng(seed)
        held = np.zeros(len(table), dtype=bool)
        for label in np.unique(y):  # stratified: the same share of each class
            members = rng.permutation(positions[y == label])
            held[members[: round(len(members) * share)]] = True
        train, test = positions[~held], positions[held]
        info.update(rule="stratified")
    return Split(train=np.asarray(train), test=np.asarray(test), info=info)


def train_test(table: pd.DataFrame, task: RiskTask, seed: int = 0) -> Split:
    """The train/test split, checked: both sides non-empty with both classes.

    Raises:
        DataContractError: A side would be empty or hold a single class.
    """
    split = split_rows(table, task, task.test_size, seed, cut=task.test_from)
    y = table[TARGET].to_numpy()
    for side, rows in (("training", split.train), ("test", split.test)):
        if len(rows) == 0:
            where = f" (test from {split.info.get('test_from')})" if task.time_col else ""
            raise DataContractError(f"the {side} set is empty{where}")
        classes = np.unique(y[rows])
        if len(classes) < 2:
            raise DataContractError(
                f"the {side} set has only {'positive' if classes[0] else 'negative'} rows; "
                "choose another test period or test size"
            )
    split.info.update(
        train_rows=len(split.train),
        test_rows=len(split.test),
        train_prevalence=float(y[split.train].mean()),
        test_prevalence=float(y[split.test].mean()),
    )
    if task.group_col:
        groups = table[GROUP].to_numpy()
        overlap = np.intersect1d(groups[split.train], groups[split.test])
        split.info["groups_in_both"] = len(overlap)
    return split


def cv_folds(
    table: pd.DataFrame, task: RiskTask, folds: int, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds over ``table`` (row positions) by the task's rule.

    Time: expanding window — the rows are cut into ``folds + 1`` consecutive time blocks and fold
    ``k`` trains on blocks ``0..k`` and validates on block ``k + 1``. Group: ``GroupKFold``.
    Otherwise: ``StratifiedKFold``.
    """
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    y = table[TARGET].to_numpy()
    positions = np.arange(len(table))
    if task.time_col:
        times = table[TIME].to_numpy()
        distinct = np.unique(times)
        edges = [
            distinct[min(int(len(distinct) * k / (folds + 1)), len(distinct) - 1)]
            for k in range(1, folds + 1)
        ]
        out = []
        for k, edge in enumerate(edges):
            upper = edges[k + 1] if k + 1 < len(edges) else None
            fit = positions[times < edge]
            val = positions[(times >= edge) & (times < upper if upper is not None else True)]
            if len(fit) and len(val) and len(np.unique(y[val])) == 2:
                out.append((fit, val))
        if not out:
            raise DataContractError("not enough time periods with both classes for time folds")
        return out
    if task.group_col:
        return list(GroupKFold(n_splits=folds).split(positions, y, table[GROUP].to_numpy()))
    return list(
        StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(positions, y)
    )


def split_table(
    table: pd.DataFrame, task: RiskTask, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Train and test tables (rows re-indexed) and what the split did."""
    split = train_test(table, task, seed)
    train = table.iloc[split.train].reset_index(drop=True)
    test = table.iloc[split.test].reset_index(drop=True)
    return train, test, split.info
