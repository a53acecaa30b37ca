"""Which servable class serves which kind of bundle, and loading a bundle as a servable.

To serve a new kind of model, write a :class:`~vigia.servables.base.Servable` subclass in your
own module and add one line here: ``"<kind>": "<module>:<Class>"``, where ``<kind>`` is what your
bundles write as ``"kind"`` in ``vigia-model.json``. Modules are imported only when a bundle of
that kind is loaded, and only ``vigia.*`` modules are accepted.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from vigia.errors import GateRefusedError, VigiaError
from vigia.models.bundle import read_manifest
from vigia.servables.base import Servable

SERVABLE_CLASSES: dict[str, str] = {
    "forecaster": "vigia.servables.forecaster:ForecastServable",
    "classifier": "vigia.risk.servable:ClassifierServable",
}


def servable_class(kind: str) -> type[Servable]:
    """The servable class registered for a bundle ``kind``."""
    if kind not in SERVABLE_CLASSES:
        raise VigiaError(
            f"no servable for model kind {kind!r}; known kinds: {', '.join(SERVABLE_CLASSES)}"
        )
    module_name, _, class_name = SERVABLE_CLASSES[kind].partition(":")
    if not module_name.startswith("vigia."):
        raise VigiaError(f"refusing to import servable module {module_name!r}")
    cls = getattr(importlib.import_module(module_name), class_name)
    if not (isinstance(cls, type) and issubclass(cls, Servable)):
        raise VigiaError(f"{SERVABLE_CLASSES[kind]} is not a Servable")
    return cls


def check_approval(manifest: dict[str, Any], folder: Path) -> None:
    """Refuse a bundle whose recorded gate decision did not approve it.

    Bundles in the model store were pushed by ``push_approved`` (which records the decision) or
    restored by a rollback to an approved registry version; a bundle that records a decision
    must record an approval.
    """
    decision = manifest.get("decision")
    if isinstance(decision, dict) and not decision.get("approved", False):
        raise GateRefusedError(
            f"{folder}: the gate did not approve this model "
            f"({'; '.join(decision.get('reasons', [])) or 'no reasons recorded'}); not serving it"
        )


def load_servable(folder: str | Path) -> Servable:
    """Load a model bundle folder as the servable of its manifest's ``kind``."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    check_approval(manifest, folder)
    kind = manifest.get("kind")
    if not isinstance(kind, str):
        raise VigiaError(f"{folder}: vigia-model.json has no 'kind'")
    return servable_class(kind).from_bundle(folder, manifest)
