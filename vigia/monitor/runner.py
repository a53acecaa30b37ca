"""A whole monitoring check in one process: collect → drift → performance → decide → publish.

This is what ``vigia monitor run`` and ``vigia replay`` call; the monitoring pipeline runs the same
functions one KFP step at a time. A check only reads the payload log and the registry, so it
runs in its own process and never blocks serving.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from vigia.monitor.check import CheckResult, MonitorPaths, collect, evaluate
from vigia.monitor.config import MonitorConfig
from vigia.monitor.publish import Published, publish, recent_retrain


@dataclass(frozen=True)
class ActualsSource:
    """Where observed weekly counts come from (the same sources as training's ingest step)."""

    source: str = "peru"
    region_col: str = "region"
    date_col: str = "week_start"
    target_col: str = "cases"
    level: str = "department"
    panel_options: str = ""  # PanelOptions JSON: how to read a CSV source (vigia.data.read)

    def load(self, end: pd.Timestamp) -> pd.DataFrame:
        """The validated panel of counts up to and including week ``end``."""
        from vigia.data.ingest import ingest_panel
        from vigia.data.read import PanelOptions

        options = PanelOptions.from_json(self.panel_options)
        columns = {"region_col": self.region_col, "date_col": self.date_col}
        panel, _ = ingest_panel(
            self.source,
            level=self.level,
            end=f"{end:%Y-%m-%d}",
            options=PanelOptions(**{**options.__dict__, **columns, "target_col": self.target_col}),
        )
        return panel


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
    data = collect(paths, model_name, config, as_of=as_of)
    panel = actuals.load(data.as_of) if isinstance(actuals, ActualsSource) else actuals
    cooldown = recent_retrain(
        paths, model_name, data.model.version, data.as_of, config.retrain_cooldown_weeks
    )
    result = evaluate(data, panel, config, recent_retrain=cooldown)
    published = publish(result, paths, artifact_root, evidently, mlflow, pushgateway, drift_html)
    return result, published
