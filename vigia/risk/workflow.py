"""The risk training workflow as plain functions over files.

ingest + validate (:mod:`vigia.risk.ingest`) → EDA (:mod:`vigia.risk.eda`) → split
(:func:`vigia.risk.split.split_table`) → train (select + calibrate) → evaluate + gate → register →
[approved] push. The KFP components in ``components/risk_*.py`` are thin wrappers around these;
benchmarks and tests call them directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.evaluate.gates import Decision
from vigia.risk.bundle import write_classifier_bundle
from vigia.risk.candidates import make_classifier
from vigia.risk.gate import risk_gate, target_leaks
from vigia.risk.metrics import best_f1_threshold, classification_metrics, slice_metrics
from vigia.risk.model import RiskModel, feature_frame
from vigia.risk.task import TARGET, TIME, RiskTask
from vigia.risk.train import CALIBRATION_SHARE, Progress, train_risk_model

SUMMARY_KEYS = (
    "roc_auc",
    "pr_auc",
    "brier",
    "ece",
    "log_loss",
    "f1",
    "precision",
    "recall",
    "accuracy",
)


# --- train -------------------------------------------------------------------------------------
def train_step(
    train: pd.DataFrame,
    task: RiskTask,
    bundle_dir: str | Path,
    data_hash: str,
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
    """Select, fit and calibrate a model (see :mod:`vigia.risk.train`) and export its bundle."""
    model, report = train_risk_model(
        train,
        task,
        families=families,
        n_iter=n_iter,
        folds=folds,
        calibration=calibration,
        seed=seed,
        jobs=jobs,
        calibration_share=calibration_share,
        progress=progress,
    )
    write_classifier_bundle(
        bundle_dir,
        model,
        task,
        {"data_hash": data_hash, "seed": seed, "cv_roc_auc": report["chosen"]["cv_roc_auc"]},
    )
    return model, report


def selection_table(report: dict[str, Any], top: int = 12) -> str:
    """The best candidates of the search, as Markdown."""
    lines = ["| family | CV ROC-AUC | ± | fit s | parameters |", "|---|---:|---:|---:|---|"]
    for row in report["candidates"][:top]:
        params = ", ".join(f"{k}={v}" for k, v in row["params"].items())
        lines.append(
            f"| {row['family']} | {row['cv_roc_auc']:.4f} | {row['cv_roc_auc_std']:.4f} "
            f"| {row['fit_seconds']:.1f} | {params} |"
        )
    return "\n".join(lines)


# --- evaluate ------------------------------------------------------------------------------------
def _baselines(
    train: pd.DataFrame, test: pd.DataFrame, task: RiskTask, seed: int
) -> dict[str, Any]:
    """Prior-only and plain logistic-regression baselines on the same test rows."""
    y_train, y_test = train[TARGET].to_numpy(), test[TARGET].to_numpy()
    prior = float(y_train.mean())
    lr = make_classifier("logistic_regression", task.features, seed)
    x_train = feature_frame(train, task.features)
    lr.fit(x_train, y_train)
    lr_threshold = best_f1_threshold(y_train, lr.predict_proba(x_train)[:, 1])
    p_lr = lr.predict_proba(feature_frame(test, task.features))[:, 1]
    return {
        "prior": classification_metrics(y_test, np.full(len(y_test), prior), prior, curve=False),
        "logistic_regression": classification_metrics(y_test, p_lr, lr_threshold, curve=False),
    }


def evaluate_risk(
    model: RiskModel,
    train: pd.DataFrame,
    test: pd.DataFrame,
    task: RiskTask,
    gate_config: dict[str, Any],
    champion_metrics: dict[str, float] | None,
    seed: int = 0,
) -> tuple[dict[str, Any], Decision]:
    """Test metrics (overall, per slice, baselines) and the gate decision.

    Returns:
        ``metrics.json`` content (``test``, ``slices``, ``baselines``, ``model``, ``rows``) and
        the decision.
    """
    y = test[TARGET].to_numpy()
    p = model.predict_proba(test)
    test_metrics = classification_metrics(y, p, model.threshold)
    baselines = _baselines(train, test, task, seed)
    slices = slice_metrics(test[task.slice_cols], y, p, model.threshold) if task.slice_cols else {}
    leaks = target_leaks(train, [f.name for f in task.features], TARGET)
    decision = risk_gate(
        model.family, test_metrics, baselines["prior"], gate_config, champion_metrics, leaks
    )
    rows: dict[str, Any] = {"train": len(train), "test": len(test)}
    if TIME in test:
        rows["test_period"] = [str(test[TIME].min()), str(test[TIME].max())]
    metrics = {
        "task": {
            "name": task.name,
            "label": task.label,
            "target": task.target,
            "positive": task.positive,
        },
        "model": {
            "family": model.family,
            "params": model.params,
            "calibration": model.calibration,
            "threshold": model.threshold,
        },
        "rows": rows,
        "test": test_metrics,
        "slices": slices,
        "baselines": baselines,
        "approved": decision.approved,
    }
    return metrics, decision


def flat_metrics(metrics: dict[str, Any]) -> dict[str, float]:
    """Numbers for MLflow: the test summary, the baselines, the largest slice gaps."""
    out = {k: float(metrics["test"][k]) for k in (*SUMMARY_KEYS, "prevalence", "threshold")}
    for name, short in (("prior", "prior"), ("logistic_regression", "lr")):
        for k in ("roc_auc", "pr_auc", "brier", "ece"):
            out[f"{short}_{k}"] = float(metrics["baselines"][name][k])
    for col, result in metrics["slices"].items():
        for metric in ("roc_auc", "ece"):
            gap = result["gaps"].get(metric)
            if gap:
                out[f"gap_{metric}_{col}"] = float(gap["gap"])
    return {k: v for k, v in out.items() if np.isfinite(v)}


def metrics_table(metrics: dict[str, Any]) -> str:
    """Model vs baselines as a Markdown table."""
    cols = ("roc_auc", "pr_auc", "brier", "ece", "log_loss", "f1")
    rows = [
        (f"{metrics['model']['family']} (calibrated)", metrics["test"]),
        ("logistic regression (baseline)", metrics["baselines"]["logistic_regression"]),
        ("prior only (baseline)", metrics["baselines"]["prior"]),
    ]
    lines = ["| model | " + " | ".join(cols) + " |", "|---|" + "---:|" * len(cols)]
    for name, values in rows:
        lines.append(f"| {name} | " + " | ".join(f"{values[c]:.4f}" for c in cols) + " |")
    return "\n".join(lines)


def slices_table(metrics: dict[str, Any]) -> str:
    """Per-slice ROC-AUC / ECE and the gaps, as Markdown."""
    lines = [
        "| slice | value | rows | prevalence | ROC-AUC | ECE |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for col, result in metrics["slices"].items():
        for value, m in result["groups"].items():
            if m.get("too_small"):
                lines.append(f"| {col} | {value} | {m['rows']} | | (too small) | |")
            else:
                lines.append(
                    f"| {col} | {value} | {m['rows']} | {m['prevalence']:.3f} | "
                    f"{m['roc_auc']:.3f} | {m['ece']:.3f} |"
                )
        for metric in ("roc_auc", "ece"):
            gap = result["gaps"].get(metric)
            if gap:
                lines.append(
                    f"| {col} | **gap {metric}** | | | {gap['gap']:.3f} "
                    f"({gap['lowest']} → {gap['highest']}) | |"
                )
    return "\n".join(lines)


# --- register ------------------------------------------------------------------------------------
def register_risk(
    bundle: Path,
    metrics: dict[str, Any],
    decision: dict[str, Any],
    artifacts: dict[str, Path],
    tracking_uri: str,
    artifact_root: str | None,
    registered_name: str,
    data_hash: str,
) -> int:
    """Log the run to MLflow and register the bundle as a new version (alias ``challenger``,
    tagged approved or not); returns the version number."""
    from vigia.registry.tracking import Registry
    from vigia.risk.pyfunc import ClassifierBundleModel

    model = metrics["model"]
    info = Registry(tracking_uri, artifact_root or None).log_training_run(
        experiment=registered_name,
        registered_name=registered_name,
        bundle=bundle,
        params={
            "method": model["family"],
            "calibration": model["calibration"],
            "threshold": model["threshold"],
            "train_rows": metrics["rows"]["train"],
            "test_rows": metrics["rows"]["test"],
            **{f"param_{k}": v for k, v in model["params"].items()},
        },
        metrics=flat_metrics(metrics),
        tags={
            "vigia.data_hash": data_hash,
            "vigia.method": model["family"],
            "vigia.kind": "classifier",
            "vigia.decision": "; ".join(decision["reasons"])[:5000],
        },
        artifacts=artifacts,
        approved=bool(decision["approved"]),
        python_model=ClassifierBundleModel(),
    )
    return info.version
