"""Where a monitoring check reads and writes: a workspace locally, mounted buckets on a cluster
(forecast and risk checks alike)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vigia.workspace import Workspace


@dataclass(frozen=True)
class MonitorPaths:
    """Where a check reads and writes (a workspace locally, mounted buckets on a cluster)."""

    store_root: Path
    tracking_uri: str
    payload_root: Path
    reports_root: Path  # <workspace>/reports/monitoring
    serving_url: str = ""  # a predictor to ask for the served version (V2 metadata)

    @classmethod
    def from_workspace(cls, workspace: Workspace) -> MonitorPaths:
        return cls(
            workspace.models,
            workspace.tracking_uri,
            workspace.payload_logs,
            workspace.reports / "monitoring",
        )

    @property
    def evidently(self) -> Path:
        return self.reports_root / "evidently"

    @property
    def cache(self) -> Path:
        return self.reports_root / "reference"

    @property
    def status(self) -> Path:
        return self.reports_root / "status.json"

    @property
    def metrics(self) -> Path:
        return self.reports_root / "metrics.prom"

    @property
    def history(self) -> Path:
        return self.reports_root / "history.jsonl"
