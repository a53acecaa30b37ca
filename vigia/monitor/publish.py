"""Writing a check out: reports, status, history, Prometheus metrics, the Evidently project and
the MLflow record of the decision.

Layout under ``<workspace>/reports/monitoring/`` (:class:`~vigia.monitor.paths.MonitorPaths`)::

    status.json            the latest check, short (the dashboard and alerts read it)
    history.jsonl          one status line per check, oldest first (+ retraining outcomes)
    metrics.prom           Prometheus textfile of the latest check
    evidently/             Evidently workspace (``vigia ui``)
    reference/             cached reference data per model version
    <model>/<week>_<time>/ check.json, check.html, status.json, weekly.html, weekly.md,
                           scores.csv, data-drift.html, prediction-drift.html (Evidently)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.files import write_json_atomic
from vigia.monitor import evidently_project, metrics, reports
from vigia.monitor.collect import check_timestamp
from vigia.monitor.decision import CheckResult
from vigia.monitor.paths import MonitorPaths

EXPERIMENT = "monitoring"


@dataclass
class Published:
    """Where a check was written."""

    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    evidently_runs: list[evidently_project.AddedRun] = field(default_factory=list)
    mlflow_run_id: str | None = None


DRIFT_HTML = ("always", "alerts")


def write_reports(result: CheckResult, folder: Path, drift_html: str = "always") -> dict[str, Path]:
    """The check's JSON and HTML report, the weekly performance report and scores, and the
    Evidently drift reports as standalone HTML (``drift_html``: ``always``, or ``alerts`` =
    only when the decision is warn or retrain; each is ~4 MB, and the Evidently UI shows every
    check anyway)."""
    if drift_html not in DRIFT_HTML:
        raise ValueError(f"drift_html must be one of {DRIFT_HTML}")
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    links: dict[str, str] = {}
    standalone = drift_html == "always" or result.decision.action != "nothing"
    for drift in (result.data_drift, result.prediction_drift):
        if drift.snapshot is not None and standalone:
            html = folder / f"{drift.kind}.html"
            drift.snapshot.save_html(str(html))
            files[drift.kind] = html
            links[drift.kind] = html.name
    if result.performance.assessed:
        files["weekly"] = folder / "weekly.html"
        files["weekly"].write_text(reports.weekly_html(result), encoding="utf-8")
        files["weekly_md"] = folder / "weekly.md"
        files["weekly_md"].write_text(reports.weekly_markdown(result), encoding="utf-8")
        files["scores"] = folder / "scores.csv"
        result.performance.table.to_csv(files["scores"], index=False)
        links["weekly"] = "weekly.html"
    files["json"] = folder / "check.json"
    write_json_atomic(files["json"], result.to_dict())
    files["html"] = folder / "check.html"
    files["html"].write_text(reports.check_html(result, links), encoding="utf-8")
    return files


def record_retraining(
    paths: MonitorPaths | Path,
    model: str,
    version: int,
    as_of: pd.Timestamp,
    outcome: dict[str, Any],
) -> None:
    """Note in ``history.jsonl`` that a retraining was started for ``model`` ``version`` at week
    ``as_of`` and what came of it (``outcome``: started, approved, pushed, new version …).
    ``paths`` may be the monitoring reports folder alone (a retraining step knows no more)."""
    append_history(
        paths,
        {
            "event": "retraining",
            "model": model,
            "live_version": version,
            "as_of": f"{as_of:%Y-%m-%d}",
            "retraining": {"started": True, **outcome},
        },
    )


def append_history(paths: MonitorPaths | Path, entry: dict[str, Any]) -> None:
    """Append one JSON line to ``history.jsonl`` (of ``paths``, or in the reports folder)."""
    history = paths.history if isinstance(paths, MonitorPaths) else paths / "history.jsonl"
    history.parent.mkdir(parents=True, exist_ok=True)
    with open(history, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, default=str) + "\n")


def log_to_mlflow(
    paths: MonitorPaths, artifact_root: Path | None, result: CheckResult, files: dict[str, Path]
) -> str:
    """One run in the ``monitoring`` experiment: the decision, its reasons, the numbers."""
    import mlflow

    from vigia.registry.tracking import Registry

    registry = Registry(paths.tracking_uri, artifact_root)  # experiment_id points mlflow at it
    status = result.status()
    with mlflow.start_run(
        experiment_id=registry.experiment_id(EXPERIMENT),
        run_name=f"{result.model['name']} v{result.model['version']} {status['as_of']}",
    ) as run:
        mlflow.log_params(
            {
                "model": result.model["name"],
                "version": result.model["version"],
                "as_of": status["as_of"],
                "window_start": result.window["start"],
                "training_run": result.model["run_id"],
                **{f"config.{k}": str(v)[:250] for k, v in result.config.items()},
            }
        )
        numbers = {
            k: float(status[k])
            for k in (
                "drift_share",
                "prediction_drift_share",
                "rolling_relative_wis",
                "coverage_90",
                "wis",
                "scored",
                "rows",
                "skipped_lines",
            )
            if status.get(k) is not None
        }
        mlflow.log_metrics(numbers)
        mlflow.set_tags(
            {
                "vigia.decision": result.decision.action,
                "vigia.reasons": "; ".join(result.decision.reasons)[:5000],
                "vigia.no_data": str(result.decision.no_data).lower(),
                "vigia.model": result.model["name"],
                "vigia.version": str(result.model["version"]),
            }
        )
        for key in ("json", "html", "weekly_md"):
            if key in files:
                mlflow.log_artifact(str(files[key]), artifact_path="check")
        return str(run.info.run_id)


def publish(
    result: CheckResult,
    paths: MonitorPaths,
    artifact_root: Path | None = None,
    evidently: bool = True,
    mlflow: bool = True,
    pushgateway: str = "",
    drift_html: str = "always",
) -> Published:
    """Write every output of a check (see the module docstring); returns where."""
    folder = paths.reports_root / result.model["name"] / result.name
    files = write_reports(result, folder, drift_html)
    out = Published(folder, files)
    status = {**result.status(), "report": str(files["html"])}
    if "weekly" in files:
        status["weekly_report"] = str(files["weekly"])
    if evidently:
        snapshots: dict[str, Any] = {
            result.data_drift.kind: result.data_drift.snapshot,
            result.prediction_drift.kind: result.prediction_drift.snapshot,
        }
        if result.performance.assessed:
            snapshots[evidently_project.PERFORMANCE] = evidently_project.performance_snapshot(
                result.performance.table,
                check_timestamp(result.as_of),
                {"model": result.model["name"], "version": str(result.model["version"])},
            )
        out.evidently_runs = evidently_project.add_runs(
            paths.evidently, result.model["name"], snapshots, f"week {status['as_of']}"
        )
    if mlflow:
        out.mlflow_run_id = log_to_mlflow(paths, artifact_root, result, files)
        status["mlflow_run_id"] = out.mlflow_run_id
    write_json_atomic(paths.status, status)
    write_json_atomic(folder / "status.json", status)
    metrics.write_textfile(paths.metrics, status)
    if pushgateway:
        metrics.push(pushgateway, status)
    append_history(paths, {"event": "check", **status})
    out.files["status"] = paths.status
    out.files["metrics"] = paths.metrics
    return out
