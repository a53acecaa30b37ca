"""Monitor, step 2: data drift (logged features vs the training snapshot) and prediction drift
(forecast growth and width vs the model's reference forecasts) with Evidently."""

from kfp.dsl import HTML, Dataset, Input, Metrics, Output


def monitor_drift(
    check_data: Input[Dataset],
    monitor_config: str,
    drift: Output[Dataset],
    data_drift_report: Output[HTML],
    prediction_drift_report: Output[HTML],
    metrics: Output[Metrics],
) -> float:
    """Returns the share of drifted features (-1 when not assessed)."""
    from pathlib import Path

    from vigia.monitor.collect import CheckData, check_timestamp
    from vigia.monitor.config import parse_monitor_config
    from vigia.monitor.measure import data_drift_of, prediction_drift_of

    config = parse_monitor_config(monitor_config)
    data = CheckData.load(Path(check_data.path))
    stamp = check_timestamp(data.as_of)
    meta = {"model": data.model.name, "version": str(data.model.version)}
    results = [
        data_drift_of(data, config, stamp, meta),
        prediction_drift_of(data, config, stamp, meta),
    ]
    for result, report in zip(results, (data_drift_report, prediction_drift_report), strict=True):
        result.save(Path(drift.path))
        if result.snapshot is not None:
            result.snapshot.save_html(report.path)
        else:
            Path(report.path).write_text(
                f"<p>{result.kind}: not assessed: {result.reason}</p>", encoding="utf-8"
            )
        if result.share is not None:
            metrics.log_metric(result.kind.replace("-", "_") + "_share", result.share)
        shown = "not assessed" if result.share is None else f"share {result.share:.2f}"
        print(f"monitor: {result.kind} {shown} {result.reason} drifted: {result.drifted}")
    return -1.0 if results[0].share is None else float(results[0].share)
