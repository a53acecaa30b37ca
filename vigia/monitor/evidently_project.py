"""The Evidently workspace project where every check's reports are kept for ``vigia ui``.

One project per monitored model (``Vigía monitoring: <model>``) with a dashboard of the history:
share of drifted features, share of drifted forecast summaries, WIS of the model against
persistence, interval coverage. Each check adds up to three snapshots, tagged ``data-drift``,
``prediction-drift`` and ``performance``, timestamped with the check's week, with the model
version in their metadata.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from vigia.monitor.drift import DATA, PREDICTION

PERFORMANCE = "performance"
PERFORMANCE_COLUMNS = ("wis", "persistence_wis", "covered_50", "covered_90")


def project_name(model: str) -> str:
    return f"Vigía monitoring: {model}"


@dataclass
class AddedRun:
    kind: str
    snapshot_id: str
    project_id: str


def performance_snapshot(table: pd.DataFrame, timestamp: datetime, metadata: dict[str, str]) -> Any:
    """An Evidently snapshot of the scored forecasts: mean WIS of the model and of persistence,
    50/90 % coverage, number of scored forecasts."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently import DataDefinition, Dataset, Report
        from evidently.metrics import MeanValue, RowCount

        frame = table[list(PERFORMANCE_COLUMNS)].astype("float64")
        report = Report(
            [RowCount(), *(MeanValue(column=c) for c in PERFORMANCE_COLUMNS)],
            metadata=dict(metadata),
            tags=[PERFORMANCE],
        )
        definition = DataDefinition(numerical_columns=list(PERFORMANCE_COLUMNS))
        return report.run(
            Dataset.from_pandas(frame, data_definition=definition), None, timestamp=timestamp
        )


# Opening an Evidently workspace reads every snapshot in it; a process that checks week after
# week (vigia replay) keeps it open instead of re-reading a growing history each time.
_OPEN: dict[tuple[Path, str], tuple[Any, Any]] = {}


def open_project(
    folder: Path, model: str, dashboard: Callable[[Any], None] | None = None
) -> tuple[Any, Any]:
    """(Evidently workspace, project) for ``model``, created with its dashboard if missing
    (``dashboard(project)`` adds the panels; default: the forecaster's)."""
    key = (folder.resolve(), model)
    if key not in _OPEN:
        _OPEN[key] = _open_project(folder, model, dashboard or _add_dashboard)
    return _OPEN[key]


def _open_project(folder: Path, model: str, dashboard: Callable[[Any], None]) -> tuple[Any, Any]:
    os.environ.setdefault("DO_NOT_TRACK", "1")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from evidently.ui.workspace import Workspace

        folder.mkdir(parents=True, exist_ok=True)
        workspace = Workspace(str(folder))
        name = project_name(model)
        found = workspace.search_project(name)
        if found:
            return workspace, found[0]
        project = workspace.create_project(
            name,
            description=f"Drift and forecast performance of the live {model} model, one point "
            "per monitoring check (vigia monitor run / vigia replay / the monitoring pipeline).",
        )
        dashboard(project)
        return workspace, project


def _add_dashboard(project: Any) -> None:
    from evidently.sdk.models import PanelMetric
    from evidently.sdk.panels import line_plot_panel

    def metric(legend: str, kind: str, tag: str, **labels: str) -> Any:
        return PanelMetric(legend=legend, metric=kind, tags=[tag], metric_labels=labels)

    panels = [
        line_plot_panel(
            "Share of drifted input features (vs the training snapshot)",
            [metric("drift share", "DriftedColumnsCount", DATA, value_type="share")],
            size="half",
        ),
        line_plot_panel(
            "Share of drifted forecast summaries (growth, interval width)",
            [metric("drift share", "DriftedColumnsCount", PREDICTION, value_type="share")],
            size="half",
        ),
        line_plot_panel(
            "Mean WIS of scored forecasts: model vs persistence (lower is better)",
            [
                metric("model", "MeanValue", PERFORMANCE, column="wis"),
                metric("persistence", "MeanValue", PERFORMANCE, column="persistence_wis"),
            ],
            size="half",
        ),
        line_plot_panel(
            "Interval coverage of scored forecasts (targets 0.5 and 0.9)",
            [
                metric("50 % interval", "MeanValue", PERFORMANCE, column="covered_50"),
                metric("90 % interval", "MeanValue", PERFORMANCE, column="covered_90"),
            ],
            size="half",
        ),
        line_plot_panel(
            "Level of recent cases (drift score of feature 'level')",
            [metric("level", "ValueDrift", DATA, column="level")],
            size="half",
        ),
        line_plot_panel(
            "Scored forecasts per check",
            [metric("forecasts", "RowCount", PERFORMANCE)],
            size="half",
        ),
    ]
    for panel in panels:
        project.dashboard.add_panel(panel, tab="Monitoring")


def add_runs(
    folder: Path,
    model: str,
    snapshots: dict[str, Any],
    name: str,
    dashboard: Callable[[Any], None] | None = None,
) -> list[AddedRun]:
    """Add a check's snapshots (kind → Evidently snapshot, None skipped) to the model's project."""
    present = {kind: s for kind, s in snapshots.items() if s is not None}
    if not present:
        return []
    workspace, project = open_project(folder, model, dashboard)
    added = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for kind, snapshot in present.items():
            ref = workspace.add_run(project.id, snapshot, name=f"{name} · {kind}")
            added.append(AddedRun(kind, str(ref.id), str(project.id)))
    return added
