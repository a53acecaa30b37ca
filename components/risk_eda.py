"""Risk EDA: missingness, distributions, target rate, correlations and leakage suspects as a
self-contained HTML page (a KFP HTML artifact) and its JSON summary."""

from kfp.dsl import HTML, Dataset, Input, Output


def risk_eda(
    table: Input[Dataset],
    task_spec: Input[Dataset],
    validation: Input[Dataset],
    report: Output[HTML],
    summary: Output[Dataset],
) -> int:
    """Returns the number of leakage suspects."""
    import json
    from pathlib import Path

    from vigia.risk.eda import eda_html, eda_summary
    from vigia.risk.ingest import read_table, write_json
    from vigia.risk.task import RiskTask

    task = RiskTask.from_json(Path(task_spec.path).read_text(encoding="utf-8"))
    checks = json.loads(Path(validation.path).read_text(encoding="utf-8"))
    result = eda_summary(read_table(table.path), task, checks)
    write_json(summary.path, result)
    Path(report.path).write_text(eda_html(result), encoding="utf-8")
    suspects = result["leakage_suspects"]
    print(f"eda: {len(result['features'])} features profiled, {len(suspects)} leakage suspects")
    for suspect in suspects:
        print(f"eda: leakage suspect {suspect['feature']}: {'; '.join(suspect['reasons'])}")
    return len(suspects)
