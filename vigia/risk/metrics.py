"""Classification metrics on held-out rows: discrimination, calibration, the confusion matrix at
the chosen threshold, and the same per slice with the gaps between slices."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    roc_auc_score,
)

CALIBRATION_BINS = 10
SLICE_MIN_ROWS = 100  # smaller slices are listed but get no metrics (too noisy)
SLICE_MIN_CLASS = 10
SLICE_METRICS = (
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "recall",
    "precision",
    "prevalence",
    "mean_predicted",
)
NUMERIC_BANDS = 5  # a numeric slice column with many values is cut into quantile bands


def calibration_table(
    y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS
) -> list[dict[str, float]]:
    """Equal-width probability bins: rows, mean predicted and observed rate (non-empty bins)."""
    index = np.minimum((np.asarray(p) * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = index == b
        if inside.any():
            out.append(
                {
                    "bin": b,
                    "lower": b / bins,
                    "upper": (b + 1) / bins,
                    "rows": int(inside.sum()),
                    "mean_predicted": float(p[inside].mean()),
                    "observed": float(y[inside].mean()),
                }
            )
    return out


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = CALIBRATION_BINS) -> float:
    """ECE: the row-weighted mean |observed rate − mean predicted| over equal-width bins."""
    table = calibration_table(np.asarray(y), np.asarray(p), bins)
    n = len(y)
    return float(sum(b["rows"] / n * abs(b["observed"] - b["mean_predicted"]) for b in table))


def best_f1_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The probability threshold with the highest F1 (the chosen operating point)."""
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall + 1e-12), 0)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(thresholds[best]) if len(thresholds) else 0.5


def classification_metrics(
    y: np.ndarray, p: np.ndarray, threshold: float, curve: bool = True
) -> dict[str, Any]:
    """Every test metric for labels ``y`` (0/1) and positive-class probabilities ``p``."""
    y = np.asarray(y).astype(int)
    p = np.clip(np.asarray(p, dtype="float64"), 0.0, 1.0)
    flag = p >= threshold
    tp = int((flag & (y == 1)).sum())
    fp = int((flag & (y == 0)).sum())
    fn = int((~flag & (y == 1)).sum())
    tn = int((~flag & (y == 0)).sum())
    both = len(np.unique(y)) == 2
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    out: dict[str, Any] = {
        "rows": len(y),
        "positives": int(y.sum()),
        "prevalence": float(y.mean()) if len(y) else float("nan"),
        "mean_predicted": float(p.mean()) if len(p) else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "log_loss": float(log_loss(y, p, labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "threshold": float(threshold),
        "accuracy": (tp + tn) / len(y),
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        "confusion_matrix": {"tn": tn, "fp": fp, "fn": fn, "tp": tp},
    }
    if curve:
        out["calibration_curve"] = calibration_table(y, p)
    return out


def slice_values(values: pd.Series) -> pd.Series:
    """Slice labels: text as it is; a numeric column with many values cut into quantile bands."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all() and numeric.nunique() > 12:
        bands = pd.qcut(numeric, NUMERIC_BANDS, duplicates="drop")
        return bands.astype(str)
    return values.astype(object).where(values.notna(), "(missing)").astype(str)


def slice_metrics(
    slices: pd.DataFrame, y: np.ndarray, p: np.ndarray, threshold: float
) -> dict[str, Any]:
    """Metrics per value of every slice column and, per metric, the gap between the best and the
    worst slice (slices with at least ``SLICE_MIN_ROWS`` rows and ``SLICE_MIN_CLASS`` of each
    class)."""
    out: dict[str, Any] = {}
    y, p = np.asarray(y), np.asarray(p)
    for col in slices.columns:
        labels = slice_values(slices[col]).to_numpy()
        groups: dict[str, Any] = {}
        for value in sorted(set(labels)):
            inside = labels == value
            n, pos = int(inside.sum()), int(y[inside].sum())
            if n < SLICE_MIN_ROWS or min(pos, n - pos) < SLICE_MIN_CLASS:
                groups[value] = {"rows": n, "positives": pos, "too_small": True}
                continue
            full = classification_metrics(y[inside], p[inside], threshold, curve=False)
            groups[value] = {"rows": n, "positives": pos, **{k: full[k] for k in SLICE_METRICS}}
        scored = {k: v for k, v in groups.items() if not v.get("too_small")}
        gaps: dict[str, Any] = {}
        for metric in SLICE_METRICS:
            values = {k: v[metric] for k, v in scored.items() if np.isfinite(v[metric])}
            if len(values) >= 2:
                low, high = min(values, key=values.get), max(values, key=values.get)  # type: ignore[arg-type]
                gaps[metric] = {"gap": values[high] - values[low], "lowest": low, "highest": high}
        out[col] = {"groups": groups, "gaps": gaps}
    return out
