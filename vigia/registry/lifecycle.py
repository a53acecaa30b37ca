"""Model lifecycle across the registry (MLflow) and the model store (what serving loads)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry, VersionInfo
from vigia.workspace import Workspace


@dataclass
class Rollback:
    name: str
    from_version: int
    to_version: int


def registry_for(workspace: Workspace) -> Registry:
    return Registry(workspace.tracking_uri, workspace.artifacts)


def rollback(workspace: Workspace, name: str) -> Rollback:
    """Make the previous approved version live: store pointer first (what serving reads), then
    the ``champion`` alias. If the store lost that version, it is restored from MLflow."""
    registry = registry_for(workspace)
    current, previous = registry.previous_approved(name)
    store = ModelStore(workspace.models)
    if previous.version not in store.versions(name):
        with tempfile.TemporaryDirectory(dir=workspace.root) as tmp:
            bundle = registry.download_bundle(name, previous.version, Path(tmp))
            store.push(
                name,
                previous.version,
                bundle,
                make_current=False,
                manifest_updates={"name": name, "version": previous.version},
            )
    store.set_current(name, previous.version)
    registry.promote(name, previous.version)
    return Rollback(name, current.version, previous.version)


def list_models(workspace: Workspace, name: str | None = None) -> list[VersionInfo]:
    """Registered versions (of one model, or of every model), oldest first."""
    registry = registry_for(workspace)
    out: list[VersionInfo] = []
    for model in [name] if name else registry.names():
        out.extend(registry.versions(model))
    return out
