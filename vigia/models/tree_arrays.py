"""XGBoost boosters as flat NumPy arrays, evaluated together for a few rows at a time.

A served forecast is usually one row. XGBoost's predictor costs ~0.3 ms a booster for one row
of our models (50 rounds × 23 quantiles = 1,150 trees), mostly per-call and per-tree set-up, and
the forecaster calls one booster per horizon. Walking all the trees of all horizons at once with
array indexing costs a quarter of that for one row (`benchmarks/serving`), and more than XGBoost
from about four rows on, so larger batches stay with XGBoost.

The result is bit for bit XGBoost's: features are compared as float32 (``x < split`` goes left,
a missing value follows the default branch), leaf values are float32 and each output adds its
trees in tree order in float32, starting from the base score, as XGBoost's CPU predictor does.
``tests/unit/forecast/test_forecast_serving_speed.py`` checks equality on every week of the Peru
panel with missing weeks. Boosters this does not describe (categorical splits, vector leaves,
outputs not interleaved round by round) are refused: :func:`compile_boosters` returns ``None``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import xgboost as xgb

SMALL_BATCH = 4  # rows up to which the arrays beat XGBoost's predictor (benchmarks/serving)


@dataclass(frozen=True)
class TreeArrays:
    """Every tree of several boosters, nodes flattened: tree ``t`` owns nodes
    ``t * width … (t + 1) * width - 1``; a leaf points to itself on both sides."""

    left: np.ndarray  # int64 (nodes,)
    right: np.ndarray
    feature: np.ndarray
    split: np.ndarray  # float32: the split value of a node, the leaf value of a leaf
    default_left: np.ndarray  # bool: where a missing value goes
    roots: np.ndarray  # int64 (trees,)
    depth: int
    base: np.ndarray  # float32 (boosters, outputs)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """float32 ``(rows, boosters, outputs)``: each booster's ``inplace_predict``."""
        x32 = np.asarray(features, dtype="float32")
        rows = np.arange(len(x32))[:, None]
        node = np.broadcast_to(self.roots, (len(x32), len(self.roots)))
        for _ in range(self.depth):
            value = x32[rows, self.feature[node]]
            go_left = np.where(np.isnan(value), self.default_left[node], value < self.split[node])
            node = np.where(go_left, self.left[node], self.right[node])
        boosters, outputs = self.base.shape
        leaves = self.split[node].reshape(len(x32), boosters, -1, outputs)
        start = np.broadcast_to(self.base[None, :, None, :], (len(x32), boosters, 1, outputs))
        # cumsum adds in order (np.sum would add pairwise): XGBoost's order, in float32.
        summed = np.cumsum(np.concatenate([start, leaves], axis=2), axis=2, dtype="float32")
        return summed[:, :, -1, :]


def compile_boosters(boosters: list[xgb.Booster]) -> TreeArrays | None:
    """The boosters' trees as arrays, or ``None`` if one uses what this does not evaluate."""
    parts = [_booster_trees(booster) for booster in boosters]
    found = [part for part in parts if part is not None]
    if len(found) < len(parts) or len({len(base) for _, base in found}) != 1:
        return None
    trees = [tree for part, _ in found for tree in part]
    width = max(len(tree["left_children"]) for tree in trees)
    count = len(trees)
    left = np.zeros((count, width), dtype="int64")
    right = np.zeros((count, width), dtype="int64")
    feature = np.zeros((count, width), dtype="int64")
    split = np.zeros((count, width), dtype="float32")
    default_left = np.zeros((count, width), dtype=bool)
    depth = 0
    for t, tree in enumerate(trees):
        children = np.array(tree["left_children"]), np.array(tree["right_children"])
        n = len(children[0])
        leaf = children[0] == -1
        own = np.arange(n) + t * width
        left[t, :n] = np.where(leaf, own, children[0] + t * width)
        right[t, :n] = np.where(leaf, own, children[1] + t * width)
        feature[t, :n] = tree["split_indices"]
        split[t, :n] = np.asarray(tree["split_conditions"], dtype="float32")
        default_left[t, :n] = np.asarray(tree["default_left"], dtype=bool)
        depth = max(depth, _depth(children[0], children[1]))
    return TreeArrays(
        left.ravel(), right.ravel(), feature.ravel(), split.ravel(), default_left.ravel(),
        np.arange(count, dtype="int64") * width, depth,
        np.stack([base for _, base in found]),
    )  # fmt: skip


def _booster_trees(booster: xgb.Booster) -> tuple[list[dict[str, Any]], np.ndarray] | None:
    """The booster's trees and base scores, if every tree is plain (numeric splits, one value a
    leaf) and outputs take turns tree by tree."""
    learner = json.loads(booster.save_raw("json"))["learner"]
    model = learner["gradient_booster"].get("model", {})
    trees = model.get("trees", [])
    base = np.atleast_1d(
        np.asarray(json.loads(learner["learner_model_param"]["base_score"]), dtype="float32")
    )
    outputs = len(base)
    interleaved = model.get("tree_info") == [t % outputs for t in range(len(trees))]
    plain = all(
        not any(tree.get("split_type", [])) and not tree.get("categories")
        and int(tree["tree_param"].get("size_leaf_vector", "1")) <= 1
        for tree in trees
    )  # fmt: skip
    if not trees or len(trees) % outputs or not interleaved or not plain:
        return None
    if learner["gradient_booster"].get("name") != "gbtree":
        return None
    return trees, base


def _depth(left: np.ndarray, right: np.ndarray) -> int:
    deepest, todo = 0, [(0, 0)]
    while todo:
        node, level = todo.pop()
        deepest = max(deepest, level)
        if left[node] != -1:
            todo += [(int(left[node]), level + 1), (int(right[node]), level + 1)]
    return deepest
