"""Checksum manifests: ``checksums.json`` in a bundle lists the SHA-256 of every other file.

Written when a bundle enters the model store (:meth:`vigia.registry.store.ModelStore.push`) and
verified there (a bundle that carries one is checked before it is copied), by the fresh-process
load-and-query check (:mod:`vigia.servables.check`) and by the server before it loads a version.
A truncated, edited, missing or extra file is named in the error.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from vigia.errors import VigiaError

CHECKSUMS = "checksums.json"


class BundleCorrupt(VigiaError):
    """A bundle's files do not match its checksum manifest (or it cannot be read)."""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder: Path) -> dict[str, Path]:
    return {
        p.relative_to(folder).as_posix(): p
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != CHECKSUMS
    }


def write_checksums(folder: str | Path) -> Path:
    """Write ``checksums.json`` for every file in ``folder`` (replacing an older one)."""
    folder = Path(folder)
    listing = {name: file_sha256(path) for name, path in _files(folder).items()}
    target = folder / CHECKSUMS
    target.write_text(
        json.dumps({"algorithm": "sha256", "files": listing}, indent=2), encoding="utf-8"
    )
    return target


def has_checksums(folder: str | Path) -> bool:
    return (Path(folder) / CHECKSUMS).is_file()


def verify_checksums(folder: str | Path) -> int:
    """Raise :class:`BundleCorrupt` naming the files that differ; the number of files checked."""
    folder = Path(folder)
    try:
        listed = json.loads((folder / CHECKSUMS).read_text(encoding="utf-8"))["files"]
        assert isinstance(listed, dict)
    except (OSError, ValueError, KeyError, TypeError, AssertionError) as exc:
        raise BundleCorrupt(f"{folder}: unreadable {CHECKSUMS} ({exc})") from None
    present = _files(folder)
    problems = [f"{name} missing" for name in listed if name not in present]
    problems += [f"{name} not listed" for name in present if name not in listed]
    problems += [
        f"{name} changed"
        for name, digest in listed.items()
        if name in present and file_sha256(present[name]) != digest
    ]
    if problems:
        more = f", … ({len(problems)} in all)" if len(problems) > 5 else ""
        raise BundleCorrupt(
            f"{folder}: files do not match {CHECKSUMS}: {', '.join(problems[:5])}{more}"
        )
    return len(listed)
