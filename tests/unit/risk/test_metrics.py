"""Test metrics: calibration error, the operating threshold, slices and their gaps."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score, roc_auc_score

from vigia.risk.metrics import (
    best_f1_threshold,
    calibration_table,
    classification_metrics,
    expected_calibration_error,
    slice_metrics,
)


def test_ece_by_hand() -> None:
    # bin 1 (0.1–0.2): 4 rows predicted 0.15, one positive → |0.25 − 0.15| = 0.10
    # bin 8 (0.8–0.9): 6 rows predicted 0.85, six positives → |1.0 − 0.85| = 0.15
    p = np.array([0.15] * 4 + [0.85] * 6)
    y = np.array([1, 0, 0, 0] + [1] * 6)
    assert np.isclose(expected_calibration_error(y, p), 0.4 * 0.10 + 0.6 * 0.15)
    table = calibration_table(y, p)
    assert [b["bin"] for b in table] == [1, 8] and table[0]["rows"] == 4


def test_perfectly_calibrated_scores_have_small_ece() -> None:
    rng = np.random.default_rng(0)
    p = rng.random(200_000)
    y = (rng.random(200_000) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.005
    shifted = np.clip(p + 0.1, 0, 1)
    assert expected_calibration_error(y, shifted) > 0.08


def test_classification_metrics_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(1)
    y = (rng.random(5000) < 0.15).astype(int)
    p = np.clip(0.15 + 0.2 * (y - 0.15) + rng.normal(0, 0.1, 5000), 0, 1)
    threshold = best_f1_threshold(y, p)
    m = classification_metrics(y, p, threshold)
    assert np.isclose(m["roc_auc"], roc_auc_score(y, p))
    assert np.isclose(m["f1"], f1_score(y, p >= threshold))
    cm = m["confusion_matrix"]
    assert cm["tp"] + cm["fn"] == y.sum() and sum(cm.values()) == len(y)
    # the chosen threshold maximises F1 among the observed scores
    for t in np.quantile(p, [0.5, 0.8, 0.9, 0.95]):
        assert f1_score(y, p >= t) <= m["f1"] + 1e-9
    assert {"accuracy", "precision", "recall", "pr_auc", "brier", "log_loss", "ece"} <= set(m)


def test_slices_report_groups_and_gaps() -> None:
    rng = np.random.default_rng(2)
    n = 6000
    sex = rng.choice(["F", "M"], n)
    age = rng.integers(0, 90, n)
    y = (rng.random(n) < 0.2).astype(int)
    noise = np.where(sex == "F", 0.05, 0.4)  # the model is much worse for men
    p = np.clip(0.2 + 0.3 * (y - 0.2) + rng.normal(0, noise), 0.001, 0.999)
    p[:3] = 0.5
    slices = slice_metrics(
        pd.DataFrame({"sex": sex, "age": age, "tiny": ["x"] * 50 + ["y"] * (n - 50)}), y, p, 0.3
    )
    sex_result = slices["sex"]
    assert sex_result["groups"]["F"]["roc_auc"] > sex_result["groups"]["M"]["roc_auc"]
    gap = sex_result["gaps"]["roc_auc"]
    assert gap["lowest"] == "M" and gap["highest"] == "F" and gap["gap"] > 0.1
    assert len(slices["age"]["groups"]) == 5  # a numeric slice is cut into quintile bands
    assert slices["tiny"]["groups"]["x"] == {
        "rows": 50,
        "positives": int(y[:50].sum()),
        "too_small": True,
    }
