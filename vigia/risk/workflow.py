"""The risk training workflow as plain functions over files.

ingest + validate → EDA → split → train (select + calibrate) → evaluate + gate → register →
[approved] push. The KFP components in ``components/risk_*.py`` are thin wrappers around these;
benchmarks and tests call them directly.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.evaluate.gates import Decision
from vigia.risk.bundle import write_classifier_bundle
from vigia.risk.datasets import DATASETS, builtin
from vigia.risk.gate import risk_gate
from vigia.risk.metrics import best_f1_threshold, classification_metrics, slice_metrics
from vigia.risk.model import RiskModel, feature_frame
from vigia.risk.models import make_classifier
from vigia.risk.split import train_test
from vigia.risk.task import GROUP, TARGET, TIME, RiskTask
from vigia.risk.train import Progress, train_risk_model
from vigia.risk.validate import Prepared, default_slice_cols, prepare_table, read_table_csv

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


# --- ingest + validate ---------------------------------------------------------------------------
def load_source(
    source: str, task: RiskTask | None
) -> tuple[pd.DataFrame, RiskTask, str, dict[str, int]]:
    """Raw rows, the task, a label and rows dropped while loading.

    ``source`` is a built-in dataset name (its own task; ``task`` may only rename the model or
    move ``test_from``) or a CSV path (``task`` required)."""
    if source in DATASETS:
        dataset = builtin(source)
        frame, dropped = dataset.load()
        resolved = dataset.task()
        if task is not None:
            resolved.name = task.name or resolved.name
            resolved.test_from = task.test_from or resolved.test_from
        return frame, resolved, source, dropped
    if task is None or not task.target:
        raise VigiaError(f"{source}: a CSV needs a target column (--target)")
    frame = read_table_csv(source)
    if not task.slice_cols:
        candidates = [
            c
            for c in default_slice_cols(list(frame.columns))
            if c not in (task.target, task.group_col, task.time_col)
        ]
        task = RiskTask.from_dict({**task.to_dict(), "slice_cols": candidates})
    return frame, task, Path(source).name, {}


def sample_table(table: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``rows`` rows (whole groups when the table is grouped), in their original order."""
    if rows <= 0 or rows >= len(table):
        return table
    rng = np.random.default_rng(seed)
    if GROUP in table:
        groups = table[GROUP].unique()
        share = rows / len(table)
        keep = rng.choice(groups, size=max(int(len(groups) * share), 1), replace=False)
        return table[table[GROUP].isin(keep)].reset_index(drop=True)
    chosen = np.sort(rng.choice(len(table), size=rows, replace=False))
    return table.iloc[chosen].reset_index(drop=True)


def table_hash(table: pd.DataFrame) -> str:
    """SHA-256 over the table's content (row hashes in order) and column names."""
    digest = hashlib.sha256("\x1f".join(map(str, table.columns)).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def ingest_risk(
    source: str, task: RiskTask | None = None, sample_rows: int = 0, seed: int = 0
) -> tuple[Prepared, dict[str, Any]]:
    """Load and validate a source into a risk table; return it with its data card."""
    frame, resolved, label, dropped = load_source(source, task)
    prepared = prepare_table(frame, resolved, label)
    prepared.report["dropped_rows"] = {**dropped, **prepared.report["dropped_rows"]}
    if sample_rows:
        before = len(prepared.table)
        prepared.table = sample_table(prepared.table, sample_rows, seed)
        prepared.report["sampled"] = {"from": before, "to": len(prepared.table)}
    card = {
        "source": label,
        "label": prepared.task.label,
        **prepared.report,
        "rows_out": len(prepared.table),
        "positives": int(prepared.table[TARGET].sum()),
        "prevalence": float(prepared.table[TARGET].mean()),
        "content_hash": table_hash(prepared.table),
    }
    return prepared, card


def card_markdown(card: dict[str, Any]) -> str:
    """The data card as Markdown."""
    lines = [
        f"# Data card: {card['label'] or card['source']}",
        "",
        f"- **Source**: {card['source']}",
        f"- **Rows**: {card['rows_in']:,} in → {card['rows_out']:,} used",
        f"- **Positive** ({', '.join(card['positive'])}): {card['positives']:,} rows "
        f"({100 * card['prevalence']:.2f} %)",
        f"- **Features**: {card['features']} ({card['numeric']} numeric, "
        f"{card['categorical']} categorical)",
        f"- **Content hash**: `{card['content_hash']}`",
    ]
    if "sampled" in card:
        lines.append(f"- **Sampled**: {card['sampled']['from']:,} → {card['sampled']['to']:,}")
    for why, n in card.get("dropped_rows", {}).items():
        lines.append(f"- Dropped {n:,} rows: {why}")
    for col, why in card.get("removed_columns", {}).items():
        lines.append(f"- Column `{col}` not a feature: {why}")
    return "\n".join(lines) + "\n"


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    table.to_parquet(path, index=False)


def read_table(path: str | Path) -> pd.DataFrame:
    """A risk table written by :func:`write_table` (missing categories back to NaN)."""
    table = pd.read_parquet(path)
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].where(table[col].notna(), np.nan)
    return table


# --- split ---------------------------------------------------------------------------------------
def split_table(
    table: pd.DataFrame, task: RiskTask, seed: int = 0
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Train and test tables (see :mod:`vigia.risk.split`)."""
    split = train_test(table, task, seed)
    train = table.iloc[split.train].reset_index(drop=True)
    test = table.iloc[split.test].reset_index(drop=True)
    return train, test, split.info


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
    decision = risk_gate(
        model.family, test_metrics, baselines["prior"], gate_config, champion_metrics
    )
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
        "rows": {"train": len(train), "test": len(test)},
        "test": test_metrics,
        "slices": slices,
        "baselines": baselines,
        "approved": decision.approved,
    }
    if TIME in test:
        metrics["rows"]["test_period"] = [str(test[TIME].min()), str(test[TIME].max())]
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


def write_json(path: str | Path, data: Any) -> None:
    Path(path).write_text(
        json.dumps(data, indent=2, default=_json_default, ensure_ascii=False), encoding="utf-8"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)
