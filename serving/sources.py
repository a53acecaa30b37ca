"""Where served models come from, without importing KServe (so the CLI can check a store fast).

A model directory is either a model store (``<dir>/<name>/<version>/`` + ``<dir>/<name>/CURRENT``)
or one bundle folder (``<dir>/vigia-model.json``, e.g. ``/mnt/models`` on a cluster).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from vigia.errors import NotFoundError, VigiaError
from vigia.models.bundle import MANIFEST
from vigia.models.bundle import read_manifest as _read_manifest
from vigia.registry.store import POINTER, ModelStore


def read_manifest(folder: Path) -> dict[str, object]:
    """The bundle's manifest, or one readable error (a truncated or edited file)."""
    try:
        return _read_manifest(folder)
    except (ValueError, OSError) as exc:
        raise VigiaError(f"{folder}: unreadable {MANIFEST} ({exc})") from None


class ModelSource:
    """Where a served model comes from: a model store (``<root>/<name>/<version>/`` +
    ``CURRENT``, watched for changes) or one bundle folder (fixed, e.g. ``/mnt/models``)."""

    def __init__(self, name: str, root: Path) -> None:
        self.name = name
        self.root = Path(root)
        self.store = None if (self.root / MANIFEST).exists() else ModelStore(self.root)

    @property
    def watchable(self) -> bool:
        return self.store is not None

    def current(self) -> tuple[int, Path]:
        """The version that should be live and its folder."""
        if self.store is None:
            return int(str(read_manifest(self.root).get("version") or 0)), self.root
        version = self.store.current(self.name)
        if version is None:
            raise NotFoundError(
                f"model {self.name!r} has no current version in the model store {self.root} "
                "(push an approved version first)"
            )
        return version, self.store.version_dir(self.name, version)

    def fallbacks(self, broken: int) -> list[tuple[int, Path]]:
        """Other versions to try, newest first, when ``broken`` (the current one) fails to
        load (none for a bundle folder)."""
        if self.store is None:
            return []
        return [
            (v, self.store.version_dir(self.name, v))
            for v in reversed(self.store.versions(self.name))
            if v != broken
        ]

    def pointer_stamp(self) -> int:
        """Changes whenever ``CURRENT`` is rewritten (0 for a bundle folder)."""
        if self.store is None:
            return 0
        pointer = self.store.model_dir(self.name) / POINTER
        return pointer.stat().st_mtime_ns if pointer.exists() else 0


def model_names(model_dir: Path, wanted: Sequence[str] | None) -> list[str]:
    """The names to serve from ``model_dir`` (a store or one bundle)."""
    if (model_dir / MANIFEST).exists():
        if wanted and len(wanted) > 1:
            raise VigiaError(f"{model_dir} is one model bundle; give at most one --model-name")
        name = wanted[0] if wanted else read_manifest(model_dir).get("name")
        if not name:
            raise VigiaError(f"{model_dir}: the bundle has no name; pass --model-name")
        return [str(name)]
    if not model_dir.is_dir():
        raise VigiaError(f"--model-dir {model_dir} does not exist")
    available = ModelStore(model_dir).names()
    if wanted:
        missing = [n for n in wanted if n not in available]
        if missing:
            raise VigiaError(
                f"no current version of {', '.join(missing)} in the model store {model_dir} "
                f"(models with one: {', '.join(available) or 'none'})"
            )
        return list(dict.fromkeys(wanted))
    if not available:
        raise VigiaError(
            f"{model_dir} holds no model: neither a bundle (vigia-model.json) nor a model store "
            "with a CURRENT version (run the training pipeline first)"
        )
    return available
