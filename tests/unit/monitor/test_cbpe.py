"""CBPE: the label-free estimates against hand-computed values and against the mean realized
metric over labels drawn from calibrated scores; realized metrics against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from vigia.monitor.cbpe import estimate, expected_roc_auc, realized, recalibrate


def test_expected_roc_auc_by_hand() -> None:
    # Pairs ranked s_i > s_j: 0.8·0.6 + 0.8·0.8 + 0.4·0.8 = 1.44; ties (i = j), halved:
    # ½ (0.8·0.2 + 0.4·0.6 + 0.2·0.8) = 0.28; Σp · Σ(1−p) = 1.4 · 1.6 = 2.24.
    assert expected_roc_auc(np.array([0.2, 0.8, 0.4])) == pytest.approx(1.72 / 2.24)


def test_tied_scores_count_half() -> None:
    # Two rows at 0.5: pairs only as ties: ½ (4 · 0.25) / (1 · 1) = 0.5.
    assert expected_roc_auc(np.array([0.5, 0.5])) == pytest.approx(0.5)
    # 0.9, 0.9, 0.1: ties among the 0.9s: ½·(4·0.09)=0.18, 0.9 over 0.1: 2·0.9·0.9=1.62,
    # 0.1 with itself: ½·0.09=0.045; Σp=1.9, Σ(1−p)=1.1.
    assert expected_roc_auc(np.array([0.9, 0.1, 0.9])) == pytest.approx(1.845 / 2.09)


def test_no_expected_class_gives_none() -> None:
    assert expected_roc_auc(np.array([1.0, 1.0])) is None
    assert expected_roc_auc(np.array([])) is None


def test_expected_metrics_by_hand() -> None:
    p = np.array([0.9, 0.6, 0.3, 0.1])
    est = estimate(p, threshold=0.5)
    # TP = 0.9 + 0.6 = 1.5, FP = 0.1 + 0.4 = 0.5, FN = 0.3 + 0.1 = 0.4
    assert est.precision == pytest.approx(0.75)
    assert est.recall == pytest.approx(1.5 / 1.9)
    assert est.f1 == pytest.approx(2 * 0.75 * (1.5 / 1.9) / (0.75 + 1.5 / 1.9))
    assert est.brier == pytest.approx((0.09 + 0.24 + 0.21 + 0.09) / 4)
    assert est.positive_rate == pytest.approx(0.475)
    assert est.rows == 4


def test_estimate_is_the_mean_realized_auc_of_calibrated_labels() -> None:
    rng = np.random.default_rng(0)
    p = rng.beta(1.2, 6.0, size=2000)  # skewed like a 15 % risk score
    draws = [roc_auc_score(rng.random(len(p)) < p, p) for _ in range(300)]
    assert expected_roc_auc(p) == pytest.approx(np.mean(draws), abs=0.003)
    # Labels that ignore the scores: the estimate no longer holds (what realized metrics catch).
    shuffled = rng.random(len(p)) < rng.permutation(p)
    assert abs(roc_auc_score(shuffled, p) - expected_roc_auc(p)) > 0.1


def test_realized_metrics_match_scikit_learn() -> None:
    y = np.array([1, 0, 1, 0, 0, 1])
    p = np.array([0.7, 0.2, 0.4, 0.5, 0.1, 0.9])
    got = realized(y, p, threshold=0.45)
    assert got.roc_auc == pytest.approx(roc_auc_score(y, p))
    assert got.brier == pytest.approx(np.mean((p - y) ** 2))
    assert (got.rows, got.positives) == (6, 3)
    assert got.precision == pytest.approx(2 / 3) and got.recall == pytest.approx(2 / 3)
    assert realized(np.array([0, 0]), np.array([0.1, 0.2]), 0.5).roc_auc is None
    with pytest.raises(ValueError):
        realized(np.array([1]), np.array([0.1, 0.2]), 0.5)


def test_recalibration_follows_the_labels_that_arrived() -> None:
    rng = np.random.default_rng(1)
    p = rng.beta(1.2, 6.0, size=4000)
    # The world changed: outcomes now happen at half the rate the scores say.
    y = rng.random(len(p)) < p / 2
    fresh = rng.beta(1.2, 6.0, size=3000)
    y_fresh = rng.random(len(fresh)) < fresh / 2
    realized_auc = roc_auc_score(y_fresh, fresh)
    plain = expected_roc_auc(fresh)
    mapped = recalibrate(fresh, p, y)
    assert np.all(np.diff(mapped[np.argsort(fresh)]) >= 0)  # monotone: same ranking
    assert abs(mapped.mean() - y_fresh.mean()) < 0.01
    assert abs(expected_roc_auc(mapped) - realized_auc) < abs(plain - realized_auc)
