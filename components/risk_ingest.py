"""Risk ingest + validate: a CSV or a built-in dataset → the validated risk table (Parquet), the
task with its feature schema, the validation report and a data card. Identifiers stay inside
this step: the group column leaves it only as a surrogate code."""

from kfp.dsl import Dataset, Markdown, Metrics, Output


def risk_ingest(
    source: str,
    task_json: str,
    sample_rows: int,
    seed: int,
    table: Output[Dataset],
    task_spec: Output[Dataset],
    validation: Output[Dataset],
    card: Output[Markdown],
    metrics: Output[Metrics],
) -> str:
    """Returns the table's content hash."""
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.risk.ingest import card_markdown, ingest_risk, write_json, write_table
    from vigia.risk.task import RiskTask

    with exit_on_user_error("ingest"):
        wanted = RiskTask.from_json(task_json) if task_json.strip() else None
        prepared, data_card = ingest_risk(source, wanted, sample_rows=sample_rows, seed=seed)
    write_table(prepared.table, table.path)
    Path(task_spec.path).write_text(prepared.task.to_json(), encoding="utf-8")
    write_json(validation.path, prepared.report)
    Path(card.path).write_text(card_markdown(data_card), encoding="utf-8")
    table.metadata.update({"content_hash": data_card["content_hash"], "rows": len(prepared.table)})
    for key in ("rows_in", "rows_out", "positives", "prevalence", "features"):
        metrics.log_metric(key, float(data_card[key]))
    print(
        f"ingest: {data_card['rows_in']} rows in → {data_card['rows_out']} rows, "
        f"{data_card['features']} features, {data_card['positives']} positive "
        f"({100 * data_card['prevalence']:.1f} %), hash {data_card['content_hash'][:12]}"
    )
    return str(data_card["content_hash"])
