"""Risk classifiers on the full built-in datasets: test ROC-AUC, PR-AUC, Brier and 10-bin ECE of
the selected, calibrated model beside the prior-only and logistic-regression baselines, with the
time each step took.

The steps are the risk pipeline's own functions (``vigia.risk``) with the same defaults as
``vigia risk train --dataset NAME``: no row is subsampled. For the severity dataset a second
logistic regression on the line-list columns alone (age, sex, department, province, week) shows
what the engineered past-weeks features add.

    .venv/bin/python -m benchmarks.risk.run [--datasets readmission,dengue-severity] [--n-iter 4]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "risk.json"
LINE_LIST_COLUMNS = ("edad", "sexo", "departamento", "provincia", "semana")


def _line_list_lr(train: Any, test: Any, task: Any) -> dict[str, Any]:
    """Plain logistic regression on the raw line-list columns (the issue's reference model)."""
    from vigia.risk.candidates import make_classifier
    from vigia.risk.metrics import best_f1_threshold, classification_metrics
    from vigia.risk.model import feature_frame
    from vigia.risk.task import TARGET

    features = [f for f in task.features if f.name in LINE_LIST_COLUMNS]
    model = make_classifier("logistic_regression", features).fit(
        feature_frame(train, features), train[TARGET]
    )
    p_train = model.predict_proba(feature_frame(train, features))[:, 1]
    p = model.predict_proba(feature_frame(test, features))[:, 1]
    threshold = best_f1_threshold(train[TARGET].to_numpy(), p_train)
    return classification_metrics(test[TARGET].to_numpy(), p, threshold, curve=False)


def run_dataset(
    name: str, n_iter: int, folds: int, jobs: int, seed: int, calibration_share: float
) -> dict[str, Any]:
    from vigia.evaluate.gates import load_gate_config
    from vigia.risk.eda import eda_summary
    from vigia.risk.ingest import ingest_risk
    from vigia.risk.split import split_table
    from vigia.risk.workflow import evaluate_risk, metrics_table, slices_table, train_step

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    prepared, card = ingest_risk(name, seed=seed)
    seconds["ingest_validate"] = time.perf_counter() - started
    started = time.perf_counter()
    summary = eda_summary(prepared.table, prepared.task, prepared.report)
    seconds["eda"] = time.perf_counter() - started
    started = time.perf_counter()
    train, test, split = split_table(prepared.table, prepared.task, seed)
    seconds["split"] = time.perf_counter() - started
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        model, report = train_step(
            train,
            prepared.task,
            Path(tmp) / "model",
            card["content_hash"],
            n_iter=n_iter,
            folds=folds,
            seed=seed,
            jobs=jobs,
            calibration_share=calibration_share,
            progress=lambda m: print("  " + m, flush=True),
        )
    seconds["select_fit_calibrate"] = time.perf_counter() - started
    started = time.perf_counter()
    metrics, decision = evaluate_risk(
        model, train, test, prepared.task, load_gate_config(section="risk"), None, seed
    )
    seconds["evaluate_gate"] = time.perf_counter() - started
    print(metrics_table(metrics))
    print(slices_table(metrics))
    print("gate:", "APPROVED" if decision.approved else "NOT APPROVED", decision.reasons)
    result = {
        "dataset": name,
        "rows": card["rows_out"],
        "prevalence": card["prevalence"],
        "features": card["features"],
        "split": split,
        "selection": {
            k: report[k]
            for k in ("chosen", "folds", "fit_rows", "calibration_rows", "calibration", "threshold")
        },
        "candidates": report["candidates"],
        "test": {k: v for k, v in metrics["test"].items() if k != "calibration_curve"},
        "calibration_curve": metrics["test"]["calibration_curve"],
        "baselines": metrics["baselines"],
        "slices": metrics["slices"],
        "leakage_suspects": summary["leakage_suspects"],
        "gate": decision.to_dict(),
        "seconds": seconds,
    }
    if name == "dengue-severity":
        result["baselines"]["logistic_regression_line_list_columns"] = _line_list_lr(
            train, test, prepared.task
        )
    return result


def markdown(results: dict[str, Any]) -> str:
    """The quoted table: model vs baselines per dataset, and timings."""
    lines = [
        "| dataset | model | ROC-AUC | PR-AUC | Brier | ECE (10 bins) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for name, r in results["datasets"].items():
        rows = [
            (
                f"{r['selection']['chosen']['family']} + {r['selection']['calibration']} "
                "calibration",
                r["test"],
            ),
            ("logistic regression (same features)", r["baselines"]["logistic_regression"]),
        ]
        if "logistic_regression_line_list_columns" in r["baselines"]:
            rows.append(
                (
                    "logistic regression (line-list columns only)",
                    r["baselines"]["logistic_regression_line_list_columns"],
                )
            )
        rows.append(("prior only", r["baselines"]["prior"]))
        for label, m in rows:
            lines.append(
                f"| {name} | {label} | {m['roc_auc']:.4f} | {m['pr_auc']:.4f} | "
                f"{m['brier']:.4f} | {m['ece']:.4f} |"
            )
    lines += [
        "",
        "| dataset | " + " | ".join(next(iter(results["datasets"].values()))["seconds"]) + " |",
        "|---|" + "---:|" * 5,
    ]
    for name, r in results["datasets"].items():
        lines.append(
            f"| {name} | " + " | ".join(f"{s:.0f} s" for s in r["seconds"].values()) + " |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="readmission,dengue-severity")
    parser.add_argument("--n-iter", type=int, default=4, help="candidates per family")
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--calibration-share",
        type=float,
        default=0.2,
        help="share of the training rows held out to calibrate (default 0.2, as the pipeline)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine_before": machine_info(),
        "datasets": {},
        "settings": {
            "n_iter": args.n_iter,
            "folds": args.folds,
            "jobs": args.jobs,
            "seed": args.seed,
            "calibration_share": args.calibration_share,
        },
    }
    for name in args.datasets.split(","):
        print(f"▶ {name}", flush=True)
        results["datasets"][name] = run_dataset(
            name, args.n_iter, args.folds, args.jobs, args.seed, args.calibration_share
        )
    results["machine_after"] = machine_info()
    results["table"] = markdown(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(results["table"])
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
