"""Read-only view of an MLflow model registry kept in SQLite (every workspace's ``mlflow.db``),
with the standard library.

``Registry`` reads versions, aliases and tags through here when its tracking URI is
``sqlite:///…``: importing MLflow costs ~6 s of CPU, which ``vigia models list`` would pay to
print a few rows; these queries take milliseconds. They mirror MLflow's ``SqlAlchemyStore``
(``mlflow/store/model_registry/sqlalchemy_store.py``, schema of MLflow 3.x): the default
workspace only, versions not deleted (``current_stage != 'Deleted_Internal'``), a run's metrics
from ``latest_metrics`` with NaN restored from ``is_nan``. Whatever this view cannot read (a
schema it does not know, a locked file) is ``None``, and ``Registry`` asks MLflow instead, so
errors stay MLflow's own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

SQLITE_SCHEME = "sqlite:///"
DEFAULT_WORKSPACE = "default"  # mlflow.utils.workspace_utils.DEFAULT_WORKSPACE_NAME
DELETED_STAGE = "Deleted_Internal"  # mlflow.entities.model_registry.model_version_stages
T = TypeVar("T")


@dataclass(frozen=True)
class VersionRow:
    """One registered model version as stored: what ``Registry`` turns into a ``VersionInfo``."""

    name: str
    version: int
    run_id: str
    created: int  # ms since epoch
    tags: dict[str, str]
    aliases: list[str]
    metrics: dict[str, float]


@dataclass(frozen=True)
class SqliteRegistryView:
    """The registry tables of one SQLite file, opened read-only for each call.

    Lists are ``None`` when the file cannot be read; single versions are ``None`` when missing
    or unreadable (``Registry`` then asks MLflow, which answers or raises as it always did).
    A database that does not exist yet is an empty registry."""

    path: Path

    @classmethod
    def for_uri(cls, tracking_uri: str) -> SqliteRegistryView | None:
        """The view of ``sqlite:///PATH`` (relative or absolute); ``None`` for any other URI."""
        if not tracking_uri.startswith(SQLITE_SCHEME) or "?" in tracking_uri:
            return None
        return cls(Path(tracking_uri[len(SQLITE_SCHEME) :]))

    def names(self) -> list[str] | None:
        """Registered model names, sorted."""
        return self._read(
            lambda db: [
                name
                for (name,) in db.execute(
                    "SELECT name FROM registered_models WHERE workspace = ? ORDER BY name",
                    (DEFAULT_WORKSPACE,),
                )
            ],
            missing=[],
        )

    def versions(self, name: str) -> list[VersionRow] | None:
        """Every version of ``name``, oldest first."""

        def query(db: sqlite3.Connection) -> list[VersionRow]:
            numbers = db.execute(
                "SELECT version FROM model_versions WHERE workspace = ? AND name = ? "
                "AND current_stage != ? ORDER BY version",
                (DEFAULT_WORKSPACE, name, DELETED_STAGE),
            ).fetchall()
            return [row for (number,) in numbers if (row := _version(db, name, number))]

        no_versions: list[VersionRow] = []
        return self._read(query, missing=no_versions)

    def version(self, name: str, number: int) -> VersionRow | None:
        return self._read(lambda db: _version(db, name, number), missing=None)

    def versions_by_alias(self, name: str, alias: str) -> list[VersionRow] | None:
        """The version ``alias`` points to, as a list: empty if no version has it."""

        def query(db: sqlite3.Connection) -> list[VersionRow]:
            found = db.execute(
                "SELECT version FROM registered_model_aliases "
                "WHERE workspace = ? AND name = ? AND alias = ?",
                (DEFAULT_WORKSPACE, name, alias),
            ).fetchone()
            row = _version(db, name, found[0]) if found else None
            return [row] if row else []

        no_versions: list[VersionRow] = []
        return self._read(query, missing=no_versions)

    def run_tags(self, run_id: str) -> dict[str, str] | None:
        """A run's tags (empty if there is no such run)."""
        return self._read(
            lambda db: dict(
                db.execute("SELECT key, value FROM tags WHERE run_uuid = ?", (run_id,)).fetchall()
            ),
            missing={},
        )

    def _read(self, query: Callable[[sqlite3.Connection], T], missing: T) -> T | None:
        """``query`` on a read-only connection; ``missing`` if there is no database file,
        ``None`` on any SQLite error (unknown schema, locked file)."""
        if not self.path.exists():
            return missing
        try:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            with closing(sqlite3.connect(uri, uri=True)) as db:
                return query(db)
        except sqlite3.Error:
            return None


def _version(db: sqlite3.Connection, name: str, number: int) -> VersionRow | None:
    found = db.execute(
        "SELECT version, run_id, creation_time FROM model_versions "
        "WHERE workspace = ? AND name = ? AND version = ? AND current_stage != ?",
        (DEFAULT_WORKSPACE, name, int(number), DELETED_STAGE),
    ).fetchone()
    if found is None:
        return None
    version, run_id, created = found
    keys = (DEFAULT_WORKSPACE, name, version)
    tags = db.execute(
        "SELECT key, value FROM model_version_tags "
        "WHERE workspace = ? AND name = ? AND version = ?",
        keys,
    ).fetchall()
    aliases = db.execute(
        "SELECT alias FROM registered_model_aliases "
        "WHERE workspace = ? AND name = ? AND version = ?",
        keys,
    ).fetchall()
    metrics = db.execute(
        "SELECT key, value, is_nan FROM latest_metrics WHERE run_uuid = ?", (run_id or "",)
    ).fetchall()
    return VersionRow(
        name=name,
        version=int(version),
        run_id=run_id or "",
        created=int(created or 0),
        tags={key: value for key, value in tags},
        aliases=[alias for (alias,) in aliases],
        metrics={key: float("nan") if is_nan else float(value) for key, value, is_nan in metrics},
    )
