"""Model selection: cross-validated search per family, then calibration and the final choice on a
hold-out.

1. The training rows are split (by the task's rule: time, group or stratified) into a fitting
   part and a calibration hold-out (the most recent rows when there is a time column).
2. On the fitting part, each family's search space is searched (``GridSearchCV`` when the
   grid is no larger than the budget, else ``RandomizedSearchCV``) with cross-validation folds
   that respect groups and time, scored by ROC-AUC.
3. Each family's best candidate is refitted on the whole fitting part and calibrated on the
   hold-out (isotonic or sigmoid, whichever has the lower log loss over folds of the hold-out
   that follow the same rule). The family whose calibrated model has the lowest hold-out log
   loss — a proper score: ranking and calibration together, on the most recent data when there
   is time — is chosen; the threshold that maximises F1 on the hold-out becomes its operating
   point.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import log_loss
from sklearn.model_selection import GridSearchCV, RandomizedSearchCV, cross_val_score
from threadpoolctl import threadpool_limits

from vigia.errors import DataContractError, VigiaError
from vigia.risk.candidates import FAMILIES, SEARCH_SPACES, make_classifier
from vigia.risk.metrics import best_f1_threshold, expected_calibration_error
from vigia.risk.model import PROBABILITY_FLOOR, RiskModel, feature_frame
from vigia.risk.split import cv_folds, split_rows
from vigia.risk.task import TARGET, RiskTask

CALIBRATION_SHARE = 0.2
CALIBRATION_METHODS = ("auto", "isotonic", "sigmoid", "none")
Progress = Callable[[str], None]


def _say(progress: Progress | None, message: str) -> None:
    if progress:
        progress(message)


def search_families(
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    task: RiskTask,
    families: list[str],
    n_iter: int,
    seed: int,
    jobs: int = 2,
    progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Cross-validated ROC-AUC of every candidate searched; one dict per candidate.

    ``jobs`` fits run in parallel processes, each single-threaded."""
    rows: list[dict[str, Any]] = []
    for family in families:
        space = SEARCH_SPACES[family]
        estimator = make_classifier(family, task.features, seed)
        size = math.prod(len(v) for v in space.values())
        search: GridSearchCV | RandomizedSearchCV
        if size <= n_iter:
            search = GridSearchCV(
                estimator,
                space,
                scoring="roc_auc",
                cv=folds,
                refit=False,
                error_score="raise",
                n_jobs=jobs,
            )
        else:
            search = RandomizedSearchCV(
                estimator,
                space,
                n_iter=n_iter,
                scoring="roc_auc",
                cv=folds,
                refit=False,
                random_state=seed,
                error_score="raise",
                n_jobs=jobs,
            )
        started = time.perf_counter()
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            search.fit(X, y)
        took = time.perf_counter() - started
        results = search.cv_results_
        for i, params in enumerate(results["params"]):
            rows.append(
                {
                    "family": family,
                    "params": {k.removeprefix("model__"): v for k, v in params.items()},
                    "cv_roc_auc": float(results["mean_test_score"][i]),
                    "cv_roc_auc_std": float(results["std_test_score"][i]),
                    "fit_seconds": float(results["mean_fit_time"][i]),
                }
            )
        best = max((r for r in rows if r["family"] == family), key=lambda r: r["cv_roc_auc"])
        _say(
            progress,
            f"train: {family:<20} best CV ROC-AUC {best['cv_roc_auc']:.4f} "
            f"({len(results['params'])} candidates × {len(folds)} folds, {took:.0f}s)",
        )
    return rows


def calibrate(
    pipeline: Any,
    X: pd.DataFrame,
    y: np.ndarray,
    method: str,
    folds: list[tuple[np.ndarray, np.ndarray]] | None = None,
) -> tuple[Any, str, float]:
    """A calibrator fitted on hold-out rows around the frozen (already fitted) pipeline, its
    method and its out-of-fold log loss on the hold-out.

    The log loss is measured over ``folds`` of the hold-out, which follow the task's rule (with
    time, calibrators learnt on earlier weeks are scored on later ones, as in use). ``auto`` keeps
    the better of isotonic (bends freely but can put whole score ranges at 0 %) and sigmoid
    (cannot bend but extrapolates gently)."""
    if method == "none":
        raw = np.clip(pipeline.predict_proba(X)[:, 1], PROBABILITY_FLOOR, 1 - PROBABILITY_FLOOR)
        return None, "none", float(log_loss(y, raw, labels=[0, 1]))
    losses = {}
    for candidate in ("isotonic", "sigmoid") if method == "auto" else (method,):
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            scores = cross_val_score(
                CalibratedClassifierCV(FrozenEstimator(pipeline), method=candidate),
                X,
                y,
                cv=folds,
                scoring="neg_log_loss",
            )
        losses[candidate] = -float(np.mean(scores))
    method = min(losses, key=losses.__getitem__)
    calibrator = CalibratedClassifierCV(FrozenEstimator(pipeline), method=method)
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        calibrator.fit(X, y)
    return calibrator, method, losses[method]


def train_risk_model(
    train: pd.DataFrame,
    task: RiskTask,
    *,
    families: list[str] | None = None,
    n_iter: int = 4,
    folds: int = 3,
    calibration: str = "auto",
    seed: int = 0,
    jobs: int = 2,
    calibration_share: float = CALIBRATION_SHARE,
    progress: Progress | None = None,
) -> tuple[RiskModel, dict[str, Any]]:
    """Select, fit and calibrate a classifier on the training rows.

    Args:
        train: Training rows of a risk table.
        task: The validated task (with its feature schema).
        families: Families to search (default: all four).
        n_iter: Candidates per family (the whole grid when it is smaller).
        folds: Cross-validation folds.
        calibration: ``auto``, ``isotonic``, ``sigmoid`` or ``none``.
        seed: Random seed.
        jobs: Parallel processes for the search.
        calibration_share: Share of the training rows (the most recent with time) held out to
            calibrate and to choose the family.

    Returns:
        The model and a report (candidates, choice, hold-out sizes, calibration).
    """
    chosen = list(families or FAMILIES)
    unknown = [f for f in chosen if f not in FAMILIES]
    if unknown:
        raise VigiaError(f"unknown model family {unknown[0]!r}; choose from {', '.join(FAMILIES)}")
    if calibration not in CALIBRATION_METHODS:
        raise VigiaError(
            f"unknown calibration {calibration!r}; choose from {', '.join(CALIBRATION_METHODS)}"
        )
    if n_iter < 1 or folds < 2:
        raise VigiaError("need at least 1 candidate per family and 2 folds")
    train = train.reset_index(drop=True)
    hold = split_rows(train, task, calibration_share, seed)
    fit_part, cal_part = train.iloc[hold.train], train.iloc[hold.test]
    y_fit, y_cal = fit_part[TARGET].to_numpy(), cal_part[TARGET].to_numpy()
    if len(np.unique(y_cal)) < 2 or len(np.unique(y_fit)) < 2:
        raise DataContractError(
            "the calibration hold-out or the fitting part of the training set has a single "
            "class; use more data"
        )
    X_fit = feature_frame(fit_part, task.features)
    X_cal = feature_frame(cal_part, task.features)
    cv = cv_folds(fit_part.reset_index(drop=True), task, folds, seed)
    _say(
        progress,
        f"train: {len(fit_part)} rows to fit (CV {len(cv)} folds), {len(cal_part)} to calibrate",
    )
    candidates = search_families(X_fit, y_fit, cv, task, chosen, n_iter, seed, jobs, progress)
    try:
        cal_folds = cv_folds(cal_part.reset_index(drop=True), task, folds, seed)
    except DataContractError:  # too few periods with both classes: plain stratified folds
        cal_folds = None
    finalists = []
    for family in chosen:
        best = max((r for r in candidates if r["family"] == family), key=lambda r: r["cv_roc_auc"])
        started = time.perf_counter()
        pipeline = make_classifier(family, task.features, seed)
        pipeline.set_params(**{f"model__{k}": v for k, v in best["params"].items()})
        with warnings.catch_warnings(), threadpool_limits(1):
            warnings.simplefilter("ignore")
            pipeline.fit(X_fit, y_fit)
        calibrator, method, loss = calibrate(pipeline, X_cal, y_cal, calibration, cal_folds)
        finalists.append((loss, family, best, pipeline, calibrator, method))
        _say(
            progress,
            f"train: {family:<20} refitted, {method} calibration: hold-out log loss {loss:.4f} "
            f"({time.perf_counter() - started:.0f}s)",
        )
    loss, family, best, pipeline, calibrator, method = min(finalists, key=lambda f: f[0])
    model = RiskModel(task.features, family, best["params"], pipeline, calibrator, 0.5, method)
    p_cal = model.predict_proba(cal_part)
    model.threshold = best_f1_threshold(y_cal, p_cal)
    raw_cal = model.raw_proba(cal_part)
    _say(
        progress,
        f"train: chose {family} (CV ROC-AUC {best['cv_roc_auc']:.4f}, calibrated hold-out log "
        f"loss {loss:.4f}), {method} calibration, threshold {model.threshold:.3f}",
    )
    report = {
        "chosen": {
            "family": family,
            "params": best["params"],
            "cv_roc_auc": best["cv_roc_auc"],
            "holdout_log_loss": loss,
        },
        "finalists": [
            {
                "family": f[1],
                "cv_roc_auc": f[2]["cv_roc_auc"],
                "calibration": f[5],
                "holdout_log_loss": f[0],
            }
            for f in finalists
        ],
        "candidates": sorted(candidates, key=lambda r: -r["cv_roc_auc"]),
        "folds": len(cv),
        "fit_rows": len(fit_part),
        "calibration_rows": len(cal_part),
        "holdout": hold.info,
        "calibration": method,
        "threshold": model.threshold,
        "calibration_ece_before": expected_calibration_error(y_cal, raw_cal),
        "calibration_ece_after": expected_calibration_error(y_cal, p_cal),
    }
    return model, report
