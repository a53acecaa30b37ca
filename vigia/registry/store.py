"""The versioned model store that serving reads: ``<root>/<model>/<version>/`` + ``CURRENT``.

Pushing copies a bundle into a temporary folder next to its final place (``.push-*``), writes
its checksum manifest, loads it and answers a canned request for every region in a fresh
process (:func:`vigia.registry.load_check.load_and_query`), then renames it (atomic on POSIX); the
``CURRENT`` pointer is a small JSON file replaced atomically with ``os.replace``. A crash at any
point leaves the previous version and pointer intact; staging folders a crash left behind are
removed by the next push.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vigia.errors import NotFoundError, VigiaError
from vigia.files import write_json_atomic

POINTER = "CURRENT"
MANIFEST = "vigia-model.json"
STAGING_PREFIX = ".push-"
STALE_STAGING_SECONDS = 24 * 3600  # a staging folder of another host is stale after a day


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
        try:
            return int(json.loads(pointer.read_text(encoding="utf-8"))["version"])
        except (ValueError, KeyError, TypeError) as exc:
            raise VigiaError(f"{pointer}: unreadable pointer ({exc}); fix or remove it") from None

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
        check: bool = True,
    ) -> Path:
        """Copy a bundle in as ``version`` (adding ``manifest_updates`` to its manifest) and, by
        default, make it current.

        A bundle that carries ``checksums.json`` is verified before it is copied; the copy gets
        a new one. With ``check`` (the default) the copy must load and answer a canned request
        for every region it claims in a fresh process before it is renamed into place
        (:class:`vigia.registry.load_check.BundleRejected` otherwise). A version already in the
        store is kept as it is (versions are immutable); pushing it again checks it and only
        moves the pointer.
        """
        from vigia.registry.checksums import has_checksums, verify_checksums, write_checksums
        from vigia.registry.load_check import load_and_query

        source = Path(bundle)
        if not source.is_dir():
            raise NotFoundError(f"bundle {source} is not a folder")
        target = self.version_dir(name, version)
        target.parent.mkdir(parents=True, exist_ok=True)
        self.clean_staging(name)
        if not target.exists():
            if has_checksums(source):
                verify_checksums(source)
            staging = Path(
                tempfile.mkdtemp(
                    prefix=f"{STAGING_PREFIX}{version}-{os.getpid()}-", dir=target.parent
                )
            )
            try:
                shutil.copytree(source, staging, dirs_exist_ok=True)
                if manifest_updates:
                    _update_manifest(staging / MANIFEST, manifest_updates)
                write_checksums(staging)
                if check:
                    load_and_query(staging)
                _fsync_tree(staging)
                os.rename(staging, target)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        elif check and make_current:
            self.check_version(name, version)
        if make_current:
            self.set_current(name, version)
        return target

    def check_version(self, name: str, version: int) -> dict[str, Any]:
        """Load-and-query a stored version in a fresh process (checksums first); raises
        :class:`vigia.registry.load_check.BundleRejected` if it does not answer."""
        from vigia.registry.load_check import load_and_query

        folder = self.version_dir(name, version)
        if not folder.is_dir():
            raise NotFoundError(f"model {name!r} version {version} is not in the store")
        return load_and_query(folder)

    def clean_staging(self, name: str) -> list[Path]:
        """Remove ``.push-*`` folders left by pushes that died (their process is gone, or they
        are older than a day); the folders removed."""
        folder = self.model_dir(name)
        if not folder.is_dir():
            return []
        removed = []
        for path in folder.glob(f"{STAGING_PREFIX}*"):
            if path.is_dir() and _stale(path):
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
        return removed

    def set_current(self, name: str, version: int) -> None:
        """Atomically point ``name`` at an existing version."""
        if not self.version_dir(name, version).is_dir():
            raise NotFoundError(f"model {name!r} version {version} is not in the store")
        write_json_atomic(
            self.model_dir(name) / POINTER,
            {
                "version": int(version),
                "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )


def _stale(staging: Path) -> bool:
    """A staging folder whose pushing process is gone (same host) or that is old."""
    if time.time() - staging.stat().st_mtime > STALE_STAGING_SECONDS:
        return True
    parts = staging.name.removeprefix(STAGING_PREFIX).split("-")
    if len(parts) < 3 or not parts[1].isdigit():
        return True  # the old naming (before the pid was recorded)
    try:
        os.kill(int(parts[1]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())


def _update_manifest(path: Path, updates: dict[str, Any]) -> None:
    if not path.exists():
        raise VigiaError(f"{path.parent}: no {MANIFEST}; not a Vigía model bundle")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest.update(updates)
    except (ValueError, AttributeError) as exc:
        raise VigiaError(f"{path}: not a readable manifest ({exc}); not pushing") from None
    path.write_text(json.dumps(manifest, indent=2, default=str), encoding="utf-8")
