"""The payload log: one JSON line per served request, what the monitoring reads.

Layout: ``<root>/<model-name>/payloads-<YYYY-MM-DD>-<NNN>.jsonl`` where ``root`` is the
workspace's ``logs/payloads/``. A file holds one UTC day; a new ``NNN`` starts when a file would
grow past ``max_bytes``. One record per request (see :func:`payload_record`)::

    {"ts": "2024-05-01T12:00:00.123+00:00", "request_id": "…", "model": "dengue-forecast",
     "version": 3, "kind": "forecaster", "protocol": "v1", "latency_ms": 4.2,
     "inputs": [{…one flat dict per row, as the model saw it…}], "outputs": [{…one per row…}]}

Non-finite floats are written as ``null``. Keys that identify a person or a record under the
identifier policy of :mod:`vigia.privacy` (the one training uses) are removed from every row
before writing: the log never holds identifiers. Client request ids (``x-request-id``, a V2
``id``) are logged as an (unkeyed) SHA-256 digest (16 hex digits), never verbatim.

Writing is asynchronous: :meth:`PayloadWriter.submit` puts a record (or a function that builds
it) on a bounded queue and returns at once; a background thread builds, serialises and appends.
A full queue drops the record and counts it; a failure while building or writing is logged and
counted. Neither ever reaches the request that produced the record.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import queue
import re
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from vigia.privacy import loggable

log = logging.getLogger(__name__)

KINDS = ("forecaster", "classifier")
PROTOCOLS = ("v1", "v2", "grpc")
REQUIRED_KEYS = ("ts", "request_id", "model", "version", "kind", "protocol", "inputs", "outputs")
FILE_GLOB = "payloads-*.jsonl"
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
DEFAULT_QUEUE_SIZE = 1_000  # records; bounds memory when the writer falls behind


FEATURES_KEY = "_features"  # in a record before encoding only: the model's declared features
HASHED_ID = re.compile(r"^[0-9a-f]{16}$")

RecordSource = dict[str, Any] | Callable[[], dict[str, Any]]


def now_iso() -> str:
    """Now in UTC, ISO-8601 with milliseconds: ``2024-05-01T12:00:00.123+00:00``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def payload_record(
    *,
    request_id: str,
    model: str,
    version: int,
    kind: str,
    protocol: str,
    latency_ms: float | None,
    inputs: list[dict[str, Any]],
    outputs: list[dict[str, Any]],
    ts: str | None = None,
    features: Iterable[str] = (),
) -> dict[str, Any]:
    """One payload record in the documented key order (``ts`` defaults to now; ``latency_ms``
    is None when unknown). ``request_id`` is stored hashed (:func:`hashed_id`); ``features``
    names the model's own features, so a coded category called like an identifier
    (``admission_type_id``) that passed the policy at training is kept."""
    if kind not in KINDS:
        raise ValueError(f"payload kind {kind!r} not in {KINDS}")
    if protocol not in PROTOCOLS:
        raise ValueError(f"payload protocol {protocol!r} not in {PROTOCOLS}")
    record = {
        "ts": ts or now_iso(),
        "request_id": hashed_id(str(request_id)),
        "model": model,
        "version": int(version),
        "kind": kind,
        "protocol": protocol,
        "latency_ms": None if latency_ms is None else round(float(latency_ms), 3),
        "inputs": inputs,
        "outputs": outputs,
    }
    if features:
        record[FEATURES_KEY] = sorted(features)
    return record


def hashed_id(request_id: str) -> str:
    """A request id as logged: 16 hex digits of its SHA-256 (a client may put anything in
    ``x-request-id``, including a patient's record number)."""
    if HASHED_ID.match(request_id):
        return request_id  # already hashed (a record rebuilt or re-encoded)
    return hashlib.sha256(request_id.encode("utf-8", "replace")).hexdigest()[:16]


def is_identifier(key: str, features: Iterable[str] = ()) -> bool:
    """True if a field must be kept out of the log (:func:`vigia.privacy.loggable`)."""
    return not loggable(key, features)


def _clean(value: Any) -> Any:
    """JSON-safe copy: numpy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _strip_identifiers(rows: Any, features: Iterable[str] = ()) -> tuple[list[Any], int]:
    if not isinstance(rows, list):
        return rows, 0
    declared = set(features)
    removed = 0
    clean_rows = []
    for row in rows:
        if isinstance(row, dict):
            kept = {k: v for k, v in row.items() if not is_identifier(str(k), declared)}
            removed += len(row) - len(kept)
            row = kept
        clean_rows.append(row)
    return clean_rows, removed


def encode_record(record: dict[str, Any]) -> tuple[bytes, int]:
    """One JSON line (with newline) and the number of identifier fields removed."""
    record = dict(record)
    features = record.pop(FEATURES_KEY, ())
    inputs, removed_in = _strip_identifiers(record.get("inputs"), features)
    outputs, removed_out = _strip_identifiers(record.get("outputs"), features)
    request_id = hashed_id(str(record.get("request_id", "")))
    safe = _clean({**record, "request_id": request_id, "inputs": inputs, "outputs": outputs})
    line = json.dumps(safe, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return (line + "\n").encode("utf-8"), removed_in + removed_out


@dataclass
class WriterStats:
    """Counters of a :class:`PayloadWriter` (read them any time; they only grow)."""

    submitted: int = 0
    written: int = 0
    dropped: int = 0
    errors: int = 0
    redacted_fields: int = 0
    pruned_files: int = 0


@dataclass(frozen=True)
class Retention:
    """How much payload log a model's folder keeps: files last written more than ``max_days``
    ago are deleted, then the oldest files until the folder holds at most ``max_bytes`` (plus
    the file being written, itself at most the writer's ``max_bytes``), which is never deleted.
    Applied when a file is opened or rotated."""

    max_days: float = 90.0
    max_bytes: int = 5 * 1024**3

    def prune(self, folder: Path, keep: Path | None = None, pattern: str = FILE_GLOB) -> list[Path]:
        """Delete what is beyond the limits in ``folder``; the files deleted (oldest first)."""
        files = sorted(folder.glob(pattern), key=lambda p: (p.stat().st_mtime, p.name))
        files = [p for p in files if p != keep]
        cutoff = time.time() - self.max_days * 86400
        total = sum(p.stat().st_size for p in files) + (
            keep.stat().st_size if keep is not None and keep.exists() else 0
        )
        removed = []
        for path in files:
            size = path.stat().st_size
            if path.stat().st_mtime < cutoff or total > self.max_bytes:
                path.unlink(missing_ok=True)
                total -= size
                removed.append(path)
        return removed


class _RotatingFile:
    """Appends lines to ``folder/payloads-<day>-<NNN>.jsonl``, rotating by day and size, and
    applies the retention each time it opens a file."""

    def __init__(
        self, folder: Path, max_bytes: int, retention: Retention | None, stats: WriterStats
    ) -> None:
        self.folder = folder
        self.max_bytes = max_bytes
        self.retention = retention
        self.stats = stats
        self.day = ""
        self.index = 0
        self.handle: Any = None
        self.size = 0

    def _path(self) -> Path:
        return self.folder / f"payloads-{self.day}-{self.index:03d}.jsonl"

    def _open(self, day: str) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        existing = sorted(self.folder.glob(f"payloads-{day}-*.jsonl"))
        self.day = day
        self.index = int(existing[-1].stem.rsplit("-", 1)[1]) if existing else 0
        path = self._path()
        self.size = path.stat().st_size if path.exists() else 0
        self.handle = open(path, "ab")  # noqa: SIM115 - kept open across writes
        self._prune()

    def _prune(self) -> None:
        if self.retention is not None:
            self.stats.pruned_files += len(self.retention.prune(self.folder, keep=self._path()))

    def write(self, line: bytes, day: str) -> None:
        if self.handle is None or day != self.day:
            self._open(day)
        if self.size and self.size + len(line) > self.max_bytes:
            self.handle.close()
            self.index += 1
            self.size = 0
            self.handle = open(self._path(), "ab")  # noqa: SIM115
            self._prune()
        self.handle.write(line)
        self.size += len(line)

    def flush(self) -> None:
        if self.handle is not None:
            self.handle.flush()

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()
            self.handle = None


class _BatchFiles:
    """Writes each batch of lines as one new, finished file: ``folder/payloads-<day>T<time>Z-
    <writer>-<seq>.jsonl``, written under a hidden temporary name, flushed to disk and renamed
    (atomic). Nothing is ever appended: on object storage (a Cloud Storage FUSE mount) every
    object is final when it appears, and a writer that dies loses at most its open batch.
    ``writer`` (host, process and a random token) keeps the names of several replicas and
    writers apart."""

    def __init__(
        self, folder: Path, prefix: str, retention: Retention | None, stats: WriterStats
    ) -> None:
        self.folder = folder
        self.prefix = prefix
        self.retention = retention
        self.stats = stats
        self.lines: list[bytes] = []
        self.seq = 0
        host = re.sub(r"[^A-Za-z0-9]", "", socket.gethostname())[-32:]
        self.writer = f"{host}{os.getpid()}{secrets.token_hex(3)}"  # unique per writer

    def write(self, line: bytes, day: str) -> None:
        self.lines.append(line)

    def flush(self) -> None:
        if not self.lines:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%S")
        self.seq += 1
        name = f"{self.prefix}-{stamp}Z-{self.writer}-{self.seq:06d}.jsonl"
        temporary = self.folder / f".{name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(b"".join(self.lines))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.folder / name)
        self.lines = []
        if self.retention is not None:
            pruned = self.retention.prune(self.folder, pattern=f"{self.prefix}-*.jsonl")
            self.stats.pruned_files += len(pruned)

    def close(self) -> None:
        self.flush()


class PayloadWriter:
    """Asynchronous, rotating JSON-lines writer of payload records.

    Args:
        root: Folder holding one sub-folder per model (the workspace's ``logs/payloads``).
        max_bytes: Size at which a day's file is rotated to the next ``NNN``.
        queue_size: Records waiting to be written; beyond it, new records are dropped.
        retention: Age and size limits per model folder (None: keep everything — replays
            and benchmarks; the servers pass one).
        batch_seconds: Object-storage mode (the cluster sink): instead of appending to a day's
            file, write what arrived in each ``batch_seconds`` as one new finished file
            (atomic name, never appended). None: append (a local disk).
        prefix: File name prefix (``payloads``; the sink's unpaired halves use ``halves``).
    """

    def __init__(
        self,
        root: str | Path,
        max_bytes: int = DEFAULT_MAX_BYTES,
        queue_size: int = DEFAULT_QUEUE_SIZE,
        retention: Retention | None = None,
        batch_seconds: float | None = None,
        prefix: str = "payloads",
    ) -> None:
        self.root = Path(root)
        self.max_bytes = int(max_bytes)
        self.retention = retention
        self.batch_seconds = batch_seconds
        self.prefix = prefix
        self.stats = WriterStats()
        self._queue: queue.Queue[tuple[str, RecordSource] | None] = queue.Queue(queue_size)
        self._files: dict[str, _RotatingFile | _BatchFiles] = {}
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="payload-writer", daemon=True)
        self._thread.start()

    # --- request side (never blocks, never raises) ---------------------------------------------
    def submit(self, model: str, record: RecordSource) -> bool:
        """Queue a record (or a zero-argument function that builds it) for ``model``'s log.

        Returns False (and counts a drop) when the queue is full or the writer is closed.
        """
        self.stats.submitted += 1
        if self._closed:
            self.stats.dropped += 1
            return False
        try:
            self._queue.put_nowait((model, record))
        except queue.Full:
            self.stats.dropped += 1
            return False
        return True

    # --- background side -----------------------------------------------------------------------
    def _run(self) -> None:
        due = time.monotonic() + (self.batch_seconds or 0)
        while True:
            if self.batch_seconds is not None:
                try:
                    item = self._queue.get(timeout=max(0.0, due - time.monotonic()))
                except queue.Empty:
                    self._flush_all()  # the batch is due: one finished file per model
                    due = time.monotonic() + self.batch_seconds
                    continue
            else:
                item = self._queue.get()
            try:
                if item is None:
                    return
                self._write_one(*item)
                # Drain what is already waiting before flushing: one flush per burst.
                while True:
                    try:
                        more = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    try:
                        if more is None:
                            self._flush_all()
                            return
                        self._write_one(*more)
                    finally:
                        self._queue.task_done()
                if self.batch_seconds is None:
                    self._flush_all()
                elif time.monotonic() >= due:
                    self._flush_all()
                    due = time.monotonic() + self.batch_seconds
            finally:
                self._queue.task_done()

    def _write_one(self, model: str, source: RecordSource) -> None:
        try:
            record = source() if callable(source) else source
            if self.prefix != "payloads":  # other records (the sink's halves): as they are
                line, removed = (json.dumps(record, separators=(",", ":")) + "\n").encode(), 0
                day = ""
            elif not _valid(record):
                raise ValueError(f"not a payload record (needs {', '.join(REQUIRED_KEYS)})")
            else:
                day = utc_moment(str(record["ts"])).astimezone(UTC).date().isoformat()
                line, removed = encode_record(record)
            folder = self._files.get(model)
            if folder is None:
                path = self.root / _safe_name(model)
                folder = self._files[model] = (
                    _RotatingFile(path, self.max_bytes, self.retention, self.stats)
                    if self.batch_seconds is None
                    else _BatchFiles(path, self.prefix, self.retention, self.stats)
                )
            folder.write(line, day)
            self.stats.written += 1
            self.stats.redacted_fields += removed
        except Exception as exc:  # a broken record must never stop the writer
            self.stats.errors += 1
            log.warning("payload log: record for %s not written: %s", model, exc)

    def _flush_all(self) -> None:
        for handle in self._files.values():
            try:
                handle.flush()
            except OSError as exc:
                self.stats.errors += 1
                log.warning("payload log: flush failed: %s", exc)

    # --- lifecycle -----------------------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued record is written (True) or ``timeout`` passes (False)."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, stop the thread, close the files. Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            log.warning("payload log: queue still full at close; pending records dropped")
        self._thread.join(timeout)
        for handle in self._files.values():
            handle.close()


def _safe_name(model: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]", "_", model).strip(".")
    return name or "model"


# --- reading ------------------------------------------------------------------------------------
def _as_datetime(value: str | datetime | date | None) -> datetime | None:
    return None if value is None else utc_moment(value)


def utc_moment(value: str | datetime | date) -> datetime:
    """A timezone-aware datetime (naive values are taken as UTC)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _valid(record: Any) -> bool:
    return (
        isinstance(record, dict)
        and all(k in record for k in REQUIRED_KEYS)
        and isinstance(record["inputs"], list)
        and isinstance(record["outputs"], list)
    )


def log_files(
    folder: Path, start: datetime | None, end: datetime | None, prefix: str = "payloads"
) -> Iterable[Path]:
    """The ``<prefix>-*.jsonl`` files under ``folder`` that may hold records of ``[start, end)``
    (by the day their name starts with), in name order."""
    for path in sorted(folder.rglob(f"{prefix}-*.jsonl")):
        day = path.stem[len(prefix) + 1 : len(prefix) + 11]
        try:
            file_day = date.fromisoformat(day)
        except ValueError:
            yield path  # unusual name: read it, records are filtered one by one
            continue
        if start is not None and file_day < start.astimezone(UTC).date():
            continue
        # a finished file is named by when it was written, up to a batch after its records
        if end is not None and file_day > end.astimezone(UTC).date() + timedelta(days=1):
            continue
        yield path


def read_payloads(
    folder: str | Path,
    start: str | datetime | date | None = None,
    end: str | datetime | date | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Read payload records, oldest first.

    Args:
        folder: One model's folder (``logs/payloads/<model>``) or the root holding several.
        start: Keep records with ``ts >= start`` (ISO string, datetime or date; naive = UTC).
        end: Keep records with ``ts < end``.

    Returns:
        ``(records, skipped)``: the records in time order, and how many lines were skipped
        because they were corrupt, truncated or not payload records.
    """
    root = Path(folder)
    lo, hi = _as_datetime(start), _as_datetime(end)
    found: list[tuple[datetime, dict[str, Any]]] = []
    skipped = 0
    if not root.exists():
        return [], 0
    for path in log_files(root, lo, hi):
        with open(path, "rb") as handle:
            for raw in handle:
                if not raw.strip():
                    continue
                try:
                    record = json.loads(raw)
                    if not _valid(record):
                        raise ValueError("not a payload record")
                    moment = utc_moment(str(record["ts"]))
                except (ValueError, TypeError, UnicodeDecodeError):
                    skipped += 1
                    continue
                if (lo is not None and moment < lo) or (hi is not None and moment >= hi):
                    continue
                found.append((moment, record))
    found.sort(key=lambda pair: pair[0])
    return [record for _, record in found], skipped
