"""Monitor, step 4: decide nothing / warn / retrain, and publish the check: ops report and
weekly performance report (KFP UI artifacts), MLflow ``monitoring`` run, Prometheus metrics
(Pushgateway on a cluster), and — with a reports folder — status.json and the Evidently project."""

from kfp.dsl import HTML, Dataset, Input, Markdown, Output


def monitor_decide(
    check_data: Input[Dataset],
    drift: Input[Dataset],
    performance: Input[Dataset],
    monitor_config: str,
    tracking_uri: str,
    artifact_root: str,
    reports_root: str,
    pushgateway_url: str,
    decision: Output[Dataset],
    report: Output[HTML],
    weekly_report: Output[HTML],
    weekly_summary: Output[Markdown],
) -> bool:
    """Returns whether the check decided to retrain (a single output, for ``dsl.If``)."""
    import json
    import shutil
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.monitor.collect import CheckData, recent_retrain
    from vigia.monitor.config import parse_monitor_config
    from vigia.monitor.decision import conclude
    from vigia.monitor.drift import DATA, PREDICTION, DriftResult
    from vigia.monitor.measure import Measurements
    from vigia.monitor.paths import MonitorPaths
    from vigia.monitor.performance import PerformanceResult
    from vigia.monitor.publish import publish

    config = parse_monitor_config(monitor_config)
    data = CheckData.load(Path(check_data.path))
    with exit_on_user_error("monitor"), tempfile.TemporaryDirectory() as scratch:
        root = Path(reports_root) if reports_root else Path(scratch)
        # This step reads no store or payload log: only the reports folder and MLflow.
        paths = MonitorPaths(Path(scratch), tracking_uri, Path(scratch), root)
        # The collect step saw no reports folder: the retraining history is read here.
        cooldown = recent_retrain(
            paths, data.model.name, data.model.version, data.as_of, config.retrain_cooldown_weeks
        )
        measured = Measurements(
            DriftResult.load(Path(drift.path), DATA),
            DriftResult.load(Path(drift.path), PREDICTION),
            PerformanceResult.load(Path(performance.path)),
        )
        result = conclude(replace(data, recent_retrain=cooldown), measured, config)
        published = publish(
            result,
            paths,
            Path(artifact_root) if artifact_root else None,
            evidently=bool(reports_root),
            pushgateway=pushgateway_url,
        )
        Path(decision.path).write_text(json.dumps(result.to_dict(), indent=2), encoding="utf-8")
        shutil.copyfile(published.files["html"], report.path)
        if "weekly" in published.files:
            shutil.copyfile(published.files["weekly"], weekly_report.path)
            shutil.copyfile(published.files["weekly_md"], weekly_summary.path)
        else:
            text = f"Performance not assessed: {result.performance.reason}\n"
            Path(weekly_report.path).write_text(f"<p>{text}</p>", encoding="utf-8")
            Path(weekly_summary.path).write_text(text, encoding="utf-8")
    print(f"monitor: decision {result.decision.action.upper()}")
    for reason in result.decision.reasons:
        print(f"monitor:   {reason}")
    return result.decision.action == "retrain"
