"""The versioned model store that serving reads: ``<root>/<model>/<version>/`` + ``CURRENT``.

Pushing copies a bundle into a temporary folder next to its final place and renames it (atomic
on POSIX); the ``CURRENT`` pointer is a small JSON file replaced atomically with ``os.replace``.
A crash at any point leaves the previous version and pointer intact.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigia.errors import NotFoundError, VigiaError

POINTER = "CURRENT"
MANIFEST = "vigia-model.json"


def _atomic_write_json(path: Path, data: dict[str, Any]) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; servers may run as another user (containers)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class ModelStore:
    """Versioned model folders with an atomically switched 'current' pointer per model."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def model_dir(self, name: str) -> Path:
        return self.root / name

    def version_dir(self, name: str, version: int) -> Path:
        return self.model_dir(name) / str(int(version))

    def names(self) -> list[str]:
        """Models that have a current version."""
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / POINTER).exists())

    def versions(self, name: str) -> list[int]:
        folder = self.model_dir(name)
        if not folder.exists():
            return []
        return sorted(int(p.name) for p in folder.iterdir() if p.is_dir() and p.name.isdigit())

    def current(self, name: str) -> int | None:
        """The live version of ``name``, or None if nothing was pushed."""
        pointer = self.model_dir(name) / POINTER
        if not pointer.exists():
            return None
        return int(json.loads(pointer.read_text(encoding="utf-8"))["version"])

    def current_dir(self, name: str) -> Path:
        version = self.current(name)
        if version is None:
            raise NotFoundError(f"model {name!r} has no pushed version in {self.root}")
        return self.version_dir(name, version)

    def push(
        self,
        name: str,
        version: int,
        bundle: str | Path,
        make_current: bool = True,
        manifest_updates: dict[str, Any] | None = None,
    ) -> Path:
        """Copy a bundle in as ``version`` (adding ``manifest_updates`` to its manifest) and, by
        default, make it current.

        A version already in the store is kept as it is (versions are immutable); pushing it
        again only moves the pointer.
        """
        source = Path(bundle)
        if not source.is_dir():
            raise NotFoundError(f"bundle {source} is not a folder")
        target = self.version_dir(name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            staging = Path(tempfile.mkdtemp(prefix=f".push-{version}-", dir=target.parent))
            try:
                shutil.copytree(source, staging, dirs_exist_ok=True)
                if manifest_updates:
                    _update_manifest(staging / MANIFEST, manifest_updates)
                _fsync_tree(staging)
                os.rename(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        if make_current:
            self.set_current(name, version)
        return target

    def set_current(self, name: str, version: int) -> None:
        """Atomically point ``name`` at an existing version."""
        if not self.version_dir(name, version).is_dir():
            raise NotFoundError(f"model {name!r} version {version} is not in the store")
        _atomic_write_json(
            self.model_dir(name) / POINTER,
            {
                "version": int(version),
                "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _update_manifest(path: Path, updates: dict[str, Any]) -> None:
    if not path.exists():
        raise VigiaError(f"{path.parent}: no {MANIFEST}; not a Vigía model bundle")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    manifest.update(updates)
    path.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
