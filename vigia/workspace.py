"""The workspace: one folder that holds everything Vigía writes on this machine.

``.vigia/`` in the current directory unless ``VIGIA_HOME`` says otherwise. Inside:

    mlflow.db        MLflow tracking + registry (SQLite)
    mlartifacts/     MLflow artifacts
    models/          versioned model store (what the server loads)
    pipeline_root/   kfp.local outputs
    logs/            payload logs and run logs
    reports/         backtests, drift and performance reports, dashboards
    data/            ingested panels and data cards
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Workspace:
    """Paths of one workspace; creating the object creates nothing on disk."""

    root: Path

    @classmethod
    def from_env(cls, root: str | os.PathLike[str] | None = None) -> Workspace:
        """The workspace at ``root``, else ``$VIGIA_HOME``, else ``./.vigia``."""
        chosen = root or os.environ.get("VIGIA_HOME") or ".vigia"
        return cls(Path(chosen).expanduser().resolve())

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.mlflow_db}"

    @property
    def artifacts(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def pipeline_root(self) -> Path:
        return self.root / "pipeline_root"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def payload_logs(self) -> Path:
        return self.logs / "payloads"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def ensure(self) -> Workspace:
        """Create the workspace folders if missing and return self."""
        for path in (
            self.artifacts,
            self.models,
            self.pipeline_root,
            self.payload_logs,
            self.reports,
            self.data,
        ):
            path.mkdir(parents=True, exist_ok=True)
        return self
