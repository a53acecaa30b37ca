"""Prometheus metrics of the latest monitoring check.

Locally they go to a text file in the node-exporter textfile format
(``reports/monitoring/metrics.prom``); on a cluster a monitoring run pushes them to the
Prometheus Pushgateway (job ``vigia-monitoring``), where the PrometheusRule alerts of
``manifests/base/monitoring/alerts.yaml`` read them. Names and labels are documented in
docs/architecture.md ("Monitoring metrics"). A value that was not assessed (too little data) is
left out rather than exported as a number nobody measured.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from vigia.files import write_atomic

JOB = "vigia-monitoring"

# name → (help, key in the status document)
GAUGES = {
    "vigia_drift_share": (
        "Share of input features that drifted from the live model's training snapshot",
        "drift_share",
    ),
    "vigia_prediction_drift_share": (
        "Share of forecast summaries (growth, interval width) that drifted from the reference",
        "prediction_drift_share",
    ),
    "vigia_relative_wis": (
        "Rolling WIS of the live model's scored forecasts divided by persistence's",
        "rolling_relative_wis",
    ),
    "vigia_coverage_90": (
        "Share of observed counts inside the 90% forecast interval (rolling window)",
        "coverage_90",
    ),
    "vigia_scored_forecasts": ("Forecasts scored in the rolling window", "scored"),
    # the predictors' name for the same idea (the job label tells the sources apart)
    "vigia_model_live_version": ("Version of the model the monitoring checked", "live_version"),
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
DECISION_GAUGE = "vigia_monitor_decision"
DECISIONS = ("nothing", "warn", "retrain")


def build_registry(status: dict[str, Any], gauges: dict[str, tuple[str, str]] | None = None) -> Any:
    """A ``prometheus_client`` registry holding ``gauges`` (default :data:`GAUGES`) of one status
    document."""
    from prometheus_client import CollectorRegistry, Gauge

    registry = CollectorRegistry()
    model = str(status["model"])
    for name, (help_text, key) in (GAUGES if gauges is None else gauges).items():
        value = status.get(key)
        if value is None:
            continue
        Gauge(name, help_text, ["model"], registry=registry).labels(model=model).set(float(value))
    decision = Gauge(
        DECISION_GAUGE,
        "Decision of the latest monitoring check (1 for the decision taken)",
        ["model", "decision"],
        registry=registry,
    )
    for action in DECISIONS:
        taken = 1.0 if status["decision"] == action else 0.0
        decision.labels(model=model, decision=action).set(taken)
    return registry


def write_textfile(
    path: Path, status: dict[str, Any], gauges: dict[str, tuple[str, str]] | None = None
) -> Path:
    """Write the metrics atomically to ``path`` (textfile-collector format)."""
    from prometheus_client import generate_latest

    return write_atomic(path, generate_latest(build_registry(status, gauges)))


def push(
    gateway: str,
    status: dict[str, Any],
    timeout: float = 10.0,
    gauges: dict[str, tuple[str, str]] | None = None,
) -> None:
    """Push the metrics to a Prometheus Pushgateway (grouped by job and model).

    Raises:
        VigiaError: The gateway cannot be reached or refuses the push.
    """
    from prometheus_client import push_to_gateway

    from vigia.errors import VigiaError

    try:
        push_to_gateway(
            gateway,
            job=JOB,
            registry=build_registry(status, gauges),
            grouping_key={"model": str(status["model"])},
            timeout=timeout,
        )
    except OSError as exc:
        raise VigiaError(f"cannot push metrics to the Pushgateway at {gateway}: {exc}") from None
