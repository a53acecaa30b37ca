"""Performance of a risk model before its labels arrive: confidence-based performance estimation
(CBPE, as NannyML names it), and the realized metrics once labels are in.

If the model is calibrated, a row scored ``p`` is positive with probability ``p``. Every metric
that counts positives and negatives then has an *expected* value computed from the scores alone:

- expected ROC-AUC: the chance that a random positive outranks a random negative, with each row
  counting as ``p`` of a positive and ``1 − p`` of a negative::

      AUC = [Σ_{s_i > s_j} p_i (1 − p_j) + ½ Σ_{s_i = s_j} p_i (1 − p_j)] / (Σ p · Σ (1 − p))

  (ties include ``i = j``; this is the trapezoid under the ROC curve whose cumulative true and
  false positives are ``Σ p`` and ``Σ (1 − p)`` over the rows ranked at or above a threshold —
  NannyML's estimator);
- expected Brier score ``mean(p (1 − p))``, expected positive rate ``mean(p)``;
- expected precision, recall and F1 at the model's threshold from expected TP = ``Σ_{p ≥ t} p``,
  FP = ``Σ_{p ≥ t} (1 − p)``, FN = ``Σ_{p < t} p``.

NannyML itself does not install with the locked stack (its automl extra pins xgboost < 3), so this
is Vigía's own implementation, tested against hand-computed values and against the mean realized
metric over labels drawn from the scores. The estimate is only as good as the calibration: when
the world changes so that ``P(y | p) ≠ p`` the estimate and the realized value part ways, which is
why the realized metrics are computed as soon as labels arrive.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from vigia.risk.metrics import expected_calibration_error


@dataclass(frozen=True)
class EstimatedPerformance:
    """CBPE estimates for one window of scores."""

    rows: int
    roc_auc: float | None  # None when every score is 0 or 1 (no expected positives/negatives)
    brier: float
    positive_rate: float
    precision: float | None
    recall: float | None
    f1: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass(frozen=True)
class RealizedPerformance:
    """Metrics of scores whose labels have arrived."""

    rows: int
    positives: int
    roc_auc: float | None  # None with a single class
    brier: float
    ece: float
    positive_rate: float
    mean_predicted: float
    precision: float | None
    recall: float | None
    f1: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


def expected_roc_auc(p: np.ndarray) -> float | None:
    """The CBPE ROC-AUC of calibrated scores ``p`` (see the module docstring)."""
    p = np.asarray(p, dtype="float64")
    positives, negatives = p.sum(), (1.0 - p).sum()
    if len(p) == 0 or positives <= 0 or negatives <= 0:
        return None
    values, inverse = np.unique(-p, return_inverse=True)  # distinct scores, highest first
    tp = np.bincount(inverse, weights=p, minlength=len(values))
    fp = np.bincount(inverse, weights=1.0 - p, minlength=len(values))
    tpr = np.concatenate([[0.0], np.cumsum(tp)]) / positives
    fpr = np.concatenate([[0.0], np.cumsum(fp)]) / negatives
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2.0))


def _rates(tp: float, fp: float, fn: float) -> tuple[float | None, float | None, float | None]:
    precision = tp / (tp + fp) if tp + fp > 0 else None
    recall = tp / (tp + fn) if tp + fn > 0 else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    return precision, recall, f1


def estimate(p: np.ndarray, threshold: float) -> EstimatedPerformance:
    """CBPE estimates for the scores ``p`` of one window; ``threshold`` is the model's flag."""
    p = np.asarray(p, dtype="float64")
    if len(p) == 0:
        raise ValueError("no scores to estimate performance from")
    flagged = p >= threshold
    precision, recall, f1 = _rates(
        float(p[flagged].sum()), float((1.0 - p[flagged]).sum()), float(p[~flagged].sum())
    )
    return EstimatedPerformance(
        rows=len(p),
        roc_auc=expected_roc_auc(p),
        brier=float(np.mean(p * (1.0 - p))),
        positive_rate=float(p.mean()),
        precision=precision,
        recall=recall,
        f1=f1,
    )


def realized(y: np.ndarray, p: np.ndarray, threshold: float) -> RealizedPerformance:
    """The metrics of scores ``p`` whose labels ``y`` (0/1) have arrived."""
    from sklearn.metrics import roc_auc_score

    y = np.asarray(y, dtype="int64")
    p = np.asarray(p, dtype="float64")
    if len(y) == 0 or len(y) != len(p):
        raise ValueError("realized metrics need as many labels as scores, and at least one")
    flagged = p >= threshold
    precision, recall, f1 = _rates(
        float((flagged & (y == 1)).sum()),
        float((flagged & (y == 0)).sum()),
        float((~flagged & (y == 1)).sum()),
    )
    both = 0 < y.sum() < len(y)
    return RealizedPerformance(
        rows=len(y),
        positives=int(y.sum()),
        roc_auc=float(roc_auc_score(y, p)) if both else None,
        brier=float(np.mean((p - y) ** 2)),
        ece=float(expected_calibration_error(y, p)),
        positive_rate=float(y.mean()),
        mean_predicted=float(p.mean()),
        precision=precision,
        recall=recall,
        f1=f1,
    )


def recalibrate(p: np.ndarray, p_labelled: np.ndarray, y_labelled: np.ndarray) -> np.ndarray:
    """``p`` mapped through an isotonic fit of the observed outcome on the score over rows whose
    labels have arrived: CBPE with the calibration the latest labels show instead of the one the
    model was trained with (the ranking, hence the realized ROC-AUC, is unchanged)."""
    from sklearn.isotonic import IsotonicRegression

    fit = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
    fit.fit(np.asarray(p_labelled, dtype="float64"), np.asarray(y_labelled, dtype="float64"))
    return np.asarray(fit.predict(np.asarray(p, dtype="float64")), dtype="float64")
