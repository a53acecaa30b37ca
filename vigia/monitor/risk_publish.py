"""Write out a risk check: reports, the Evidently project, Prometheus metrics, history.

Under ``reports/monitoring/``:

- ``<model>/<window end>_<time>/check.json`` and ``check.html`` (+ Evidently's own
  ``data-drift.html``), ``<model>/status.json`` (the latest check of that model);
- ``metrics-<model>.prom`` (node-exporter textfile; one file per risk model beside the
  forecaster's ``metrics.prom``, so the collector reads them all);
- ``history.jsonl`` (one line per check, shared with the forecaster: the retrain cooldown reads it);
- the Evidently project ``Vigía monitoring: <model>`` (data drift, score drift, performance).
"""

from __future__ import annotations

import html
import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.files import write_json_atomic
from vigia.monitor import evidently_project, metrics
from vigia.monitor.drift import DATA, PREDICTION
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.publish import append_history
from vigia.monitor.risk_check import RiskCheck

PERFORMANCE = evidently_project.PERFORMANCE
PERFORMANCE_COLUMNS = ("estimated_roc_auc", "realized_roc_auc", "expected_positive_rate",
                       "observed_positive_rate", "realized_ece")  # fmt: skip

# name → (help, key in the status document); shared names mean the same as the forecaster's.
RISK_GAUGES = {
    "vigia_drift_share": (
        "Share of input features that drifted from the live model's training snapshot",
        "drift_share",
    ),
    "vigia_risk_score_drift": (
        "1 if the risk scores drifted from the training snapshot's, else 0",
        "score_drifted",
    ),
    "vigia_risk_estimated_roc_auc": (
        "ROC-AUC expected from the risk scores alone (CBPE), current window",
        "estimated_roc_auc",
    ),
    "vigia_risk_realized_roc_auc": (
        "ROC-AUC of the window's risk scores whose labels have arrived",
        "realized_roc_auc",
    ),
    "vigia_risk_expected_positive_ratio": (
        "Mean risk score of the window (the positive rate expected if calibrated)",
        "expected_positive_rate",
    ),
    "vigia_risk_observed_positive_ratio": (
        "Positive rate among the window's labelled rows",
        "observed_positive_rate",
    ),
    "vigia_risk_realized_calibration_error": (
        "Expected calibration error (10 bins) of the window's labelled rows",
        "realized_ece",
    ),
    "vigia_risk_labelled_predictions": ("Scored rows of the window with a label", "labelled"),
    "vigia_risk_window_predictions": ("Scored rows in the window", "rows"),
    "vigia_live_version": ("Version of the model the monitoring checked", "live_version"),
    "vigia_last_prediction_timestamp_seconds": (
        "Unix time of the newest logged prediction of the model",
        "last_prediction_ts",
    ),
    "vigia_monitor_last_check_timestamp_seconds": (
        "Unix time of the latest monitoring check",
        "checked_at_ts",
    ),
    "vigia_payload_skipped_lines": (
        "Corrupt or truncated payload-log lines skipped by the latest check",
        "skipped_lines",
    ),
}


@dataclass
class RiskPublished:
    folder: Path
    files: dict[str, Path] = field(default_factory=dict)
    evidently_runs: list[evidently_project.AddedRun] = field(default_factory=list)


def risk_metrics_path(paths: MonitorPaths, model: str) -> Path:
    return paths.reports_root / f"metrics-{model}.prom"


def risk_status_path(paths: MonitorPaths, model: str) -> Path:
    return paths.reports_root / model / "status.json"


def _add_risk_dashboard(project: Any) -> None:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    def metric(legend: str, kind: str, tag: str, **labels: str) -> Any:
        return PanelMetric(legend=legend, metric=kind, tags=[tag], metric_labels=labels)

    def mean(legend: str, column: str) -> Any:
        return metric(legend, "MeanValue", PERFORMANCE, column=column)

    panels = [
        line_plot_panel(
            "Share of drifted input features (vs the training snapshot)",
            [metric("drift share", "DriftedColumnsCount", DATA, value_type="share")],
            size="half",
        ),
        line_plot_panel(
            "Risk score drift (vs the training snapshot)",
            [metric("score", "ValueDrift", PREDICTION, column="__probability__")],
            size="half",
        ),
        line_plot_panel(
            "ROC-AUC: estimated from the scores (CBPE) vs realized once labels arrive",
            [mean("estimated", "estimated_roc_auc"), mean("realized", "realized_roc_auc")],
            size="half",
        ),
        line_plot_panel(
            "Positive rate: expected (mean score) vs observed",
            [
                mean("expected", "expected_positive_rate"),
                mean("observed", "observed_positive_rate"),
            ],
            size="half",
        ),
    ]
    for panel in panels:
        project.dashboard.add_panel(panel, tab="Monitoring")


def performance_snapshot(check: RiskCheck) -> Any:
    """An Evidently snapshot of the check's performance numbers (one value per column; columns
    not assessed are left out)."""
    status = check.status()
    values = {c: status[c] for c in PERFORMANCE_COLUMNS if status.get(c) is not None}
    if not values:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently import DataDefinition, Dataset, Report
        from evidently.metrics import MeanValue

        frame = pd.DataFrame({c: [float(v)] for c, v in values.items()})
        report = Report(
            [MeanValue(column=c) for c in values],
            metadata={"model": check.model["name"], "version": str(check.model["version"])},
            tags=[PERFORMANCE],
        )
        definition = DataDefinition(numerical_columns=list(values))
        return report.run(
            Dataset.from_pandas(frame, data_definition=definition),
            None,
            timestamp=pd.Timestamp(check.snapshot_time or check.window["end"]).to_pydatetime(),
        )


def _number(value: Any, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def check_html(check: RiskCheck) -> str:
    """A short self-contained page for ops: decision, reasons, numbers, drifted features."""
    s = check.status()
    rows = [
        ("window", f"{check.window['start']} → {check.window['end']}"),
        ("logged rows (requests)", f"{check.rows} ({check.requests})"),
        ("share of drifted features", _number(s["drift_share"], 2)),
        ("drifted features", ", ".join(check.data_drift.drifted) or "none"),
        ("score drift", {None: "not assessed", True: "yes", False: "no"}[s["score_drift"]]),
        ("estimated ROC-AUC (CBPE)", _number(s["estimated_roc_auc"])),
        ("estimated ROC-AUC on the training snapshot", _number(s["reference_estimated_roc_auc"])),
        ("test ROC-AUC at training", _number(s["test_roc_auc"])),
        ("realized ROC-AUC (labelled rows)",
         f"{_number(s['realized_roc_auc'])} ({check.labelled})"),
        ("expected / observed positive rate",
         f"{_number(s['expected_positive_rate'])} / {_number(s['observed_positive_rate'])}"),
        ("realized ECE", _number(s["realized_ece"])),
    ]  # fmt: skip
    body = "".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows
    )
    reasons = "".join(f"<li>{html.escape(r)}</li>" for r in check.decision.reasons)
    title = f"{check.model['name']} v{check.model['version']}: {check.decision.action.upper()}"
    return (
        "<!doctype html><html lang='en'><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title>"
        "<style>body{font:15px system-ui,sans-serif;margin:2em;max-width:60em}"
        "th{text-align:left;padding-right:1em}td,th{border-bottom:1px solid #ddd;padding:4px}"
        "</style>"
        f"<h1>{html.escape(title)}</h1><ul>{reasons}</ul><table>{body}</table></html>"
    )


def publish_risk_check(
    check: RiskCheck,
    paths: MonitorPaths,
    evidently: bool = True,
    pushgateway: str = "",
    drift_html: bool = True,
) -> RiskPublished:
    """Write every output of a risk check (see the module docstring); returns where."""
    name = check.model["name"]
    folder = paths.reports_root / name / check.name
    folder.mkdir(parents=True, exist_ok=True)
    out = RiskPublished(folder)
    out.files["json"] = folder / "check.json"
    write_json_atomic(out.files["json"], check.to_dict())
    out.files["html"] = folder / "check.html"
    out.files["html"].write_text(check_html(check), encoding="utf-8")
    if drift_html and check.data_drift.snapshot is not None:
        out.files["data_drift"] = folder / "data-drift.html"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check.data_drift.snapshot.save_html(str(out.files["data_drift"]))
    status = {**check.status(), "report": str(out.files["html"])}
    if evidently:
        snapshots = {
            DATA: check.data_drift.snapshot,
            PREDICTION: check.score_drift.snapshot,
            PERFORMANCE: performance_snapshot(check),
        }
        out.evidently_runs = evidently_project.add_runs(
            paths.evidently, name, snapshots, f"window to {check.window['end']}",
            _add_risk_dashboard,
        )  # fmt: skip
    out.files["status"] = risk_status_path(paths, name)
    write_json_atomic(out.files["status"], status)
    out.files["metrics"] = risk_metrics_path(paths, name)
    metrics.write_textfile(out.files["metrics"], status, RISK_GAUGES)
    if pushgateway:
        metrics.push(pushgateway, status, gauges=RISK_GAUGES)
    append_history(paths, {"event": "check", **status})
    return out


def read_status(paths: MonitorPaths, model: str) -> dict[str, Any] | None:
    path = risk_status_path(paths, model)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None
