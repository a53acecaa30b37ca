"""A whole monitoring check in one process: collect → measure (drift, performance) → decide →
publish, each step a function of its own module.

This is what ``vigia monitor run`` and ``vigia replay`` call; the monitoring pipeline runs the same
functions one KFP step at a time. A check only reads the payload log and the registry, so it
runs in its own process and never blocks serving.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from vigia.monitor.collect import ActualsSource, collect
from vigia.monitor.config import MonitorConfig
from vigia.monitor.decision import CheckResult, conclude
from vigia.monitor.measure import measure
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.publish import Published, publish


def run_check(
    paths: MonitorPaths,
    model_name: str,
    config: MonitorConfig,
    actuals: ActualsSource | pd.DataFrame,
    as_of: str | pd.Timestamp | None = None,
    artifact_root: Path | None = None,
    evidently: bool = True,
    mlflow: bool = True,
    pushgateway: str = "",
    drift_html: str = "always",
) -> tuple[CheckResult, Published]:
    """Run one check of ``model_name``'s live version and write everything out.

    Args:
        paths: Where to read (store, registry, payload log) and write (reports).
        model_name: Registered model name.
        config: Thresholds.
        actuals: A source of observed counts, or a panel already loaded (weeks after ``as_of``
            are ignored either way).
        as_of: The week checked (default: the newest logged origin of the live version).
        artifact_root: MLflow artifact root for the ``monitoring`` experiment.
        evidently: Add the reports to the Evidently workspace project.
        mlflow: Log the decision to MLflow.
        pushgateway: Prometheus Pushgateway URL to push the metrics to ("" = none).
        drift_html: ``always`` or ``alerts``: when to write the Evidently HTML reports.
    """
    data = collect(paths, model_name, config, as_of=as_of, actuals=actuals)
    measured = measure(data, config)
    result = conclude(data, measured, config)
    published = publish(result, paths, artifact_root, evidently, mlflow, pushgateway, drift_html)
    return result, published
