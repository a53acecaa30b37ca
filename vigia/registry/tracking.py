"""MLflow tracking and registry: log a training run, register it, promote, roll back.

Every trained model becomes a registered version with alias ``challenger`` and a tag saying
whether the gate approved it. Only approved versions get the ``champion`` alias; rolling back moves
``champion`` to the newest approved version older than the current one.

Reads of a SQLite registry (every workspace's) go through ``SqliteRegistryView`` without
importing MLflow (~6 s of CPU); MLflow is imported on the first write, or read of anything else.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vigia.errors import NotFoundError, VigiaError
from vigia.registry.sqlite_view import SqliteRegistryView, VersionRow

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

CHAMPION = "champion"
CHALLENGER = "challenger"
APPROVED_TAG = "vigia.approved"
ROLLED_BACK_TAG = "vigia.rolled_back"  # "true" on a version a rollback moved away from
SCOPE_TAG = "vigia.scope"  # JSON: regions, horizons, data source (the gate's compatibility check)


@dataclass
class VersionInfo:
    """A registered model version as Vigía sees it."""

    name: str
    version: int
    run_id: str
    approved: bool
    aliases: list[str]
    created: int  # ms since epoch
    metrics: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return self.__dict__.copy()

    @classmethod
    def of(cls, row: VersionRow) -> VersionInfo:
        return cls(
            name=row.name,
            version=row.version,
            run_id=row.run_id,
            approved=row.tags.get(APPROVED_TAG) == "true",
            aliases=sorted(row.aliases),
            created=row.created,
            metrics=row.metrics,
        )


def default_wrapper(manifest: dict[str, Any]) -> Any:
    """The MLflow pyfunc wrapper of a forecast bundle; other kinds bring their own (the risk
    kind: :class:`vigia.risk.pyfunc.ClassifierBundleModel`), the registry knows none of them."""
    if manifest.get("kind", "forecaster") != "forecaster":
        raise VigiaError(
            f"a {manifest.get('kind')!r} bundle is logged with its own pyfunc wrapper "
            "(log_training_run(python_model=...))"
        )
    from vigia.registry.pyfunc import ForecastBundleModel

    return ForecastBundleModel()


class Registry:
    """Thin wrapper over MLflow's tracking + registry for one tracking URI."""

    def __init__(self, tracking_uri: str, artifact_root: str | Path | None = None) -> None:
        self.tracking_uri = tracking_uri
        self.artifact_root = Path(artifact_root) if artifact_root else None
        self._sqlite = SqliteRegistryView.for_uri(tracking_uri)

    @cached_property
    def client(self) -> MlflowClient:
        """MLflow's client, imported on first use; it also points ``mlflow`` at the URI."""
        os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
        import mlflow
        from mlflow.tracking import MlflowClient

        mlflow.set_tracking_uri(self.tracking_uri)
        mlflow.set_registry_uri(self.tracking_uri)
        return MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    @property
    def _mlflow(self) -> Any:
        """The ``mlflow`` module, pointed at this registry's URI (by making the client)."""
        _ = self.client
        import mlflow

        return mlflow

    def names(self) -> list[str]:
        """Registered model names, sorted."""
        if self._sqlite is not None and (names := self._sqlite.names()) is not None:
            return names
        return sorted(m.name for m in self.client.search_registered_models())

    def experiment_id(self, name: str) -> str:
        existing = self.client.get_experiment_by_name(name)
        if existing is not None:
            return str(existing.experiment_id)
        location = None
        if self.artifact_root is not None:
            location = (self.artifact_root / name).resolve().as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def log_training_run(
        self,
        *,
        experiment: str,
        registered_name: str,
        bundle: Path,
        params: dict[str, Any],
        metrics: dict[str, float],
        tags: dict[str, str],
        artifacts: dict[str, Path],
        approved: bool,
        python_model: Any = None,
    ) -> VersionInfo:
        """Log params, metrics, tags and artifacts, log the bundle as a pyfunc model, register it
        as a new version with alias ``challenger`` and the approval tag.

        ``python_model`` is the pyfunc wrapper of the bundle (default: the one of its kind);
        the model carries the ``vigia`` code, pinned requirements, a signature and an input
        example (:mod:`vigia.registry.packaging`), so it loads where Vigía is not installed."""
        from mlflow.models import infer_signature

        from vigia.models.bundle import read_manifest
        from vigia.registry.packaging import code_folder, pip_requirements

        mlflow = self._mlflow
        with mlflow.start_run(experiment_id=self.experiment_id(experiment)) as run:
            mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
            mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
            mlflow.set_tags({**tags, APPROVED_TAG: str(approved).lower()})
            for folder, path in artifacts.items():
                if Path(path).is_dir():
                    mlflow.log_artifacts(str(path), artifact_path=folder)
                else:
                    mlflow.log_artifact(str(path), artifact_path=folder)
            manifest = read_manifest(bundle)
            wrapper = python_model or default_wrapper(manifest)
            example, answer = wrapper.example(bundle)
            with tempfile.TemporaryDirectory() as scratch:
                info = mlflow.pyfunc.log_model(
                    name="model",
                    python_model=wrapper,
                    artifacts={"bundle": str(bundle)},
                    code_paths=[str(code_folder(Path(scratch)))],
                    pip_requirements=pip_requirements(manifest),
                    signature=infer_signature(example, answer),
                    input_example=example,
                )
            run_id = run.info.run_id
        version = mlflow.register_model(info.model_uri, registered_name)
        number = int(version.version)
        self.client.set_model_version_tag(
            registered_name, str(number), APPROVED_TAG, str(approved).lower()
        )
        self.client.set_model_version_tag(registered_name, str(number), "vigia.run_id", run_id)
        self.client.set_registered_model_alias(registered_name, CHALLENGER, str(number))
        return self.version(registered_name, number)

    def version(self, name: str, number: int) -> VersionInfo:
        if self._sqlite is not None and (row := self._sqlite.version(name, number)) is not None:
            return VersionInfo.of(row)
        mv = self.client.get_model_version(name, str(number))
        run = self.client.get_run(mv.run_id) if mv.run_id else None
        return VersionInfo.of(
            VersionRow(
                name=name,
                version=int(mv.version),
                run_id=mv.run_id or "",
                created=int(mv.creation_timestamp or 0),
                tags=dict(mv.tags or {}),
                aliases=list(getattr(mv, "aliases", []) or []),
                metrics=dict(run.data.metrics) if run else {},
            )
        )

    def versions(self, name: str) -> list[VersionInfo]:
        """All versions of a registered model, oldest first (empty if it does not exist)."""
        if self._sqlite is not None and (rows := self._sqlite.versions(name)) is not None:
            return [VersionInfo.of(row) for row in rows]
        found = self.client.search_model_versions(f"name='{name}'")
        return sorted(
            (self.version(name, int(mv.version)) for mv in found), key=lambda v: v.version
        )

    def champion(self, name: str) -> VersionInfo | None:
        if (
            self._sqlite is not None
            and (rows := self._sqlite.versions_by_alias(name, CHAMPION)) is not None
        ):
            return VersionInfo.of(rows[0]) if rows else None
        from mlflow.exceptions import MlflowException

        try:
            mv = self.client.get_model_version_by_alias(name, CHAMPION)
        except MlflowException:
            return None
        return self.version(name, int(mv.version))

    def scope(self, info: VersionInfo) -> dict[str, Any] | None:
        """The scope (regions, horizons, data source) a version's run recorded, if any."""
        import json

        if not info.run_id:
            return None
        tags = self._sqlite.run_tags(info.run_id) if self._sqlite is not None else None
        if tags is None:
            tags = self.client.get_run(info.run_id).data.tags
        text = tags.get(SCOPE_TAG)
        try:
            return dict(json.loads(text)) if text else None
        except (ValueError, TypeError):
            return None

    def promote(self, name: str, number: int) -> VersionInfo:
        """Give an approved version the ``champion`` alias (refuses unapproved versions)."""
        info = self.version(name, number)
        if not info.approved:
            raise VigiaError(
                f"{name} version {number} was not approved by the gate; "
                "refusing to make it champion"
            )
        self.client.set_registered_model_alias(name, CHAMPION, str(number))
        if self.rolled_back(name, number):  # made champion again on purpose
            self.client.delete_model_version_tag(name, str(number), ROLLED_BACK_TAG)
        return self.version(name, number)

    def mark_rolled_back(self, name: str, number: int) -> None:
        """Record that serving was rolled back from this version (it stays approved)."""
        self.client.set_model_version_tag(name, str(number), ROLLED_BACK_TAG, "true")

    def rolled_back(self, name: str, number: int) -> bool:
        mv = self.client.get_model_version(name, str(number))
        return (mv.tags or {}).get(ROLLED_BACK_TAG) == "true"

    def previous_approved(self, name: str) -> tuple[VersionInfo, VersionInfo]:
        """(current champion, newest approved version older than it)."""
        current = self.champion(name)
        if current is None:
            raise NotFoundError(f"model {name!r} has no champion to roll back from")
        older = [v for v in self.versions(name) if v.approved and v.version < current.version]
        if not older:
            raise NotFoundError(
                f"model {name!r}: no approved version older than the champion "
                f"(version {current.version}) to roll back to"
            )
        return current, older[-1]

    def download_bundle(self, name: str, number: int, target: Path) -> Path:
        """Fetch a version's bundle from the MLflow artifact store (to restore a model store)."""
        info = self.version(name, number)
        uri = f"runs:/{info.run_id}/model/artifacts/bundle"
        return Path(
            self._mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(target))
        )
