"""Evaluate + gate: the backtest's scores against the approval gate and the current champion
(reads the registry: never cached)."""

from kfp.dsl import Dataset, Input, Markdown, Metrics, Output


def evaluate(
    backtest: Input[Dataset],
    gate_config: str,
    tracking_uri: str,
    registered_name: str,
    replace_scope: bool,
    scores: Output[Dataset],
    table: Output[Markdown],
    decision: Output[Dataset],
    decision_report: Output[Markdown],
    metrics: Output[Metrics],
) -> bool:
    """Returns whether the gate approved the candidate (a single output, so that kfp.local can
    resolve it in the ``dsl.If`` that guards the push). ``scores``: the backtest's, passed on."""
    import json
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.evaluate.gates import parse_gate_config
    from vigia.registry.tracking import Registry
    from vigia.training import candidate_metrics, format_scores_table, gate_candidate

    with exit_on_user_error("evaluate"):
        config = parse_gate_config(gate_config, "forecast")
        result = json.loads(Path(backtest.path).read_text(encoding="utf-8"))
        registry = Registry(tracking_uri)
        champion = registry.champion(registered_name)
        verdict = gate_candidate(
            result,
            config,
            champion.metrics if champion else None,
            champion_scope=registry.scope(champion) if champion else None,
            replaces_scope=replace_scope,
        )
    Path(scores.path).write_text(json.dumps(result, indent=2), encoding="utf-8")
    text = format_scores_table(result)
    Path(table.path).write_text("# Backtest\n\n" + text + "\n", encoding="utf-8")
    Path(decision.path).write_text(json.dumps(verdict.to_dict(), indent=2), encoding="utf-8")
    Path(decision_report.path).write_text(verdict.to_markdown(), encoding="utf-8")
    for key, value in candidate_metrics(result).items():
        metrics.log_metric(key, value)
    print(text)
    print("gate:", "APPROVED" if verdict.approved else "NOT APPROVED")
    for reason in verdict.reasons:
        print("  " + reason)
    return verdict.approved
