"""Model lifecycle across the registry (MLflow) and the model store (what serving loads)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry, VersionInfo
from vigia.workspace import Workspace


@dataclass
class Rollback:
    name: str
    from_version: int
    to_version: int
    repaired: list[str] = field(default_factory=list)


def registry_for(workspace: Workspace) -> Registry:
    return Registry(workspace.tracking_uri, workspace.artifacts)


def reconcile(store: ModelStore, registry: Registry, name: str) -> list[str]:
    """Make the store's live version and the registry's ``champion`` agree; what was repaired.

    A push moves ``CURRENT`` first (after its load-and-query check), then the alias: a crash in
    between leaves live = new, champion = old. The live version was approved and checked, so
    the repair rolls forward (champion := live). If the live version is not an approved
    registry version (an edited pointer), or was rolled back from (a cluster rollback moves the
    served version and the alias before the bucket's pointer), ``CURRENT`` goes back to the
    champion. Staging folders left by a crashed push are removed.
    """
    done = [f"removed the leftover staging folder {p.name}" for p in store.clean_staging(name)]
    live = store.current(name)
    champion = registry.champion(name)
    if live is None or (champion is not None and champion.version == live):
        return done
    known = {v.version: v for v in registry.versions(name)}
    if live in known and known[live].approved and not registry.rolled_back(name, live):
        registry.promote(name, live)
        was = f"version {champion.version}" if champion else "none"
        done.append(f"champion moved to the live version {live} (was {was})")
    elif champion is not None and champion.version in store.versions(name):
        store.set_current(name, champion.version)
        done.append(f"live version moved back to the champion {champion.version} (was {live})")
    return done


def rollback(workspace: Workspace, name: str) -> Rollback:
    """Make the previous approved version live: store pointer first (what serving reads), then
    the ``champion`` alias. If the store lost that version, it is restored from MLflow; the
    version must pass the load-and-query check before the pointer moves. A store and registry
    that disagree (a crashed push) are reconciled first."""
    registry = registry_for(workspace)
    store = ModelStore(workspace.models)
    repaired = reconcile(store, registry, name)
    current, previous = registry.previous_approved(name)
    roll_store_back(store, registry, name, previous.version, workspace.root)
    return Rollback(name, current.version, previous.version, repaired)


def roll_store_back(
    store: ModelStore, registry: Registry, name: str, version: int, scratch: Path | None = None
) -> None:
    """Make ``version`` (an approved registry version) live in ``store`` and champion again;
    the version rolled back from is tagged, so no later reconcile rolls forward to it. A version
    the store lost is restored from MLflow; it must pass the load-and-query check first."""
    was = store.current(name)
    if version not in store.versions(name):
        with tempfile.TemporaryDirectory(dir=scratch) as tmp:
            bundle = registry.download_bundle(name, version, Path(tmp))
            store.push(
                name,
                version,
                bundle,
                make_current=False,
                manifest_updates={"name": name, "version": version},
            )
    store.check_version(name, version)
    store.set_current(name, version)
    registry.promote(name, version)
    if was is not None and was != version:
        registry.mark_rolled_back(name, was)


def list_models(workspace: Workspace, name: str | None = None) -> list[VersionInfo]:
    """Registered versions (of one model, or of every model), oldest first."""
    registry = registry_for(workspace)
    out: list[VersionInfo] = []
    for model in [name] if name else registry.names():
        out.extend(registry.versions(model))
    return out
