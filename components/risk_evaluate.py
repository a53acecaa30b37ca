"""Risk evaluate + gate: test metrics (overall, per slice with gaps, prior-only and logistic
regression baselines) → ``metrics.json``, then the risk gate against the champion."""

from kfp.dsl import ClassificationMetrics, Dataset, Input, Markdown, Metrics, Model, Output


def risk_evaluate(
    model: Input[Model],
    dataset_train: Input[Dataset],
    dataset_test: Input[Dataset],
    task_spec: Input[Dataset],
    gate_config: str,
    tracking_uri: str,
    registered_name: str,
    seed: int,
    scores: Output[Dataset],
    table: Output[Markdown],
    decision: Output[Dataset],
    decision_report: Output[Markdown],
    metrics: Output[Metrics],
    classification: Output[ClassificationMetrics],
) -> bool:
    """Returns whether the gate approved the candidate (a single output, for ``dsl.If``)."""
    from pathlib import Path

    from sklearn.metrics import roc_curve

    from vigia.errors import exit_on_user_error
    from vigia.evaluate.gates import parse_gate_config
    from vigia.registry.tracking import Registry
    from vigia.risk.ingest import read_table, write_json
    from vigia.risk.model import RiskModel
    from vigia.risk.task import TARGET, RiskTask
    from vigia.risk.workflow import evaluate_risk, flat_metrics, metrics_table, slices_table

    task = RiskTask.from_json(Path(task_spec.path).read_text(encoding="utf-8"))
    fitted = RiskModel.load(model.path)
    test_rows = read_table(dataset_test.path)
    with exit_on_user_error("evaluate"):
        config = parse_gate_config(gate_config, "risk")
        champion = Registry(tracking_uri).champion(registered_name)
        result, verdict = evaluate_risk(
            fitted,
            read_table(dataset_train.path),
            test_rows,
            task,
            config,
            champion.metrics if champion else None,
            seed=seed,
        )
    write_json(scores.path, result)
    text = metrics_table(result)
    Path(table.path).write_text(
        "# Test metrics\n\n" + text + "\n\n# Slices\n\n" + slices_table(result) + "\n",
        encoding="utf-8",
    )
    write_json(decision.path, verdict.to_dict())
    Path(decision_report.path).write_text(verdict.to_markdown(), encoding="utf-8")
    for key, value in flat_metrics(result).items():
        metrics.log_metric(key, value)
    cm = result["test"]["confusion_matrix"]
    classification.log_confusion_matrix(
        ["negative", "positive"], [[cm["tn"], cm["fp"]], [cm["fn"], cm["tp"]]]
    )
    fpr, tpr, thresholds = roc_curve(test_rows[TARGET], fitted.predict_proba(test_rows))
    step = max(len(fpr) // 100, 1)
    classification.log_roc_curve(
        fpr[::step].tolist(), tpr[::step].tolist(), [min(t, 1.0) for t in thresholds[::step]]
    )
    print(text)
    print("gate:", "APPROVED" if verdict.approved else "NOT APPROVED")
    for reason in verdict.reasons:
        print("  " + reason)
    return verdict.approved
