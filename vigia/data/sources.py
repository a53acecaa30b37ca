"""Where a panel comes from and what it holds: the content fingerprint that keys the ingest
step's cache, and a local copy of an object-storage source (``gs://bucket/path``).

A pipeline step's cache key is made of its parameters, and a path or a URI names a place, not
its content. The training pipeline's first step (never cached) computes
:func:`source_fingerprint` and passes it to the ingest step as a parameter: changed data at the
same path or URI is ingested again, and an unchanged rerun reuses the cached ingest.
"""

from __future__ import annotations

import hashlib
import importlib.resources
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError

PERU = "peru"
OBJECT_SCHEME = "gs://"
_CHUNK = 1024 * 1024


def is_object_uri(source: str) -> bool:
    """True for a Cloud Storage object (``gs://bucket/path``)."""
    return source.startswith(OBJECT_SCHEME)


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _split_uri(uri: str) -> tuple[str, str]:
    bucket, _, name = uri.removeprefix(OBJECT_SCHEME).partition("/")
    if not bucket or not name or name.endswith("/"):
        raise VigiaError(f"{uri}: not an object URI (gs://bucket/path/file.csv)")
    return bucket, name


def _blob(uri: str) -> Any:
    """The object's metadata (one request; credentials from the environment: on the cluster the
    pipeline runner's workload identity)."""
    from google.api_core.exceptions import GoogleAPIError
    from google.auth.exceptions import GoogleAuthError
    from google.cloud import storage

    bucket, name = _split_uri(uri)
    try:
        blob = storage.Client().bucket(bucket).get_blob(name)
    except (GoogleAPIError, GoogleAuthError, OSError) as exc:
        raise VigiaError(f"{uri}: cannot read the object: {exc}") from None
    if blob is None:
        raise VigiaError(f"{uri}: no such object")
    return blob


def source_fingerprint(source: str) -> str:
    """What ``source`` holds, as a short string that changes when its content changes: the
    SHA-256 of a local file or of the bundled Peru line list; for a ``gs://`` object, its
    MD5 (or CRC32C for a composite object) and size as Cloud Storage stores them (no download).

    Raises:
        VigiaError: The file or object does not exist or cannot be read (one line).
    """
    if source == PERU:
        from vigia.data.peru import line_list_resource

        with importlib.resources.as_file(line_list_resource()) as path:
            return f"sha256:{file_sha256(path)}"
    if is_object_uri(source):
        blob = _blob(source)
        checksum = f"md5:{blob.md5_hash}" if blob.md5_hash else f"crc32c:{blob.crc32c}"
        return f"{checksum}:{blob.size}"
    path = Path(source)
    if not path.is_file():
        raise VigiaError(f"{source}: no such file")
    try:
        return f"sha256:{file_sha256(path)}"
    except OSError as exc:
        raise VigiaError(f"{source}: cannot read: {exc.strerror or exc}") from None


def local_source(source: str, folder: Path) -> str:
    """``source`` as :func:`vigia.data.ingest.ingest_panel` reads it: a ``gs://`` object is
    downloaded into ``folder`` (its file name kept, so a ``.gz`` stays recognisable); anything
    else is returned unchanged."""
    if not is_object_uri(source):
        return source
    from google.api_core.exceptions import GoogleAPIError

    blob = _blob(source)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / Path(blob.name).name
    try:
        blob.download_to_filename(str(target))
    except (GoogleAPIError, OSError) as exc:
        raise VigiaError(f"{source}: download failed: {exc}") from None
    return str(target)
