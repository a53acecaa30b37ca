"""Run pipelines on this machine with ``kfp.local`` and read back what they produced.

kfp.local prints every task's executor input and logs; we send all of it to a log file in the
workspace and show on the console only progress lines (task start/finish and the lines our
components print for people), so long runs stay readable.

Runs in one workspace are serialised by a lock (``<workspace>/.pipeline.lock``): a second run
waits for the first, saying so, so each run finds its own run folder and reports its own
outcome, and the registry and store see one writer at a time. A pipeline started by a step of
a running pipeline (monitoring → retraining) runs under its parent's lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from vigia.errors import RuntimeFailure, VigiaError
from vigia.workspace import Workspace

RUNNERS = ("subprocess", "container")
CODE_PACKAGES = ("vigia", "vigia.components", "vigia.pipelines", "vigia.serving", "vigia.workflows")
LOCK_FILE = ".pipeline.lock"
LOCK_HELD = "VIGIA_PIPELINE_LOCK"  # set while a run holds the lock (its steps inherit it)
# Lines from inside tasks that are meant for people (see the components' print calls).
_SHOW = re.compile(
    r"^\s*(ingest|features|train|register|push|gate|backtest|monitor|error|PASS|FAIL|\||"
    r"[a-z_]+: error)"
)
_TASK = re.compile(r"(Executing task|Task) .?'(\w[\w-]*)'.? ?(finished with status \S+)?")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class _ConsoleFilter(io.TextIOBase):
    """A stdout stand-in: everything to the log file, progress lines to the console."""

    def __init__(self, log: TextIO, console: TextIO) -> None:
        self.log, self.console = log, console
        self.buffer_ = ""
        self.started: dict[str, float] = {}

    def write(self, text: str) -> int:
        self.log.write(text)
        self.buffer_ += text
        while "\n" in self.buffer_:
            line, self.buffer_ = self.buffer_.split("\n", 1)
            self._show(_ANSI.sub("", line))
        return len(text)

    def _show(self, line: str) -> None:
        task = _TASK.search(line)
        if task and "Executing task" in line:
            self.started[task.group(2)] = time.perf_counter()
            self.console.write(f"  ▶ {task.group(2)}\n")
        elif task and task.group(3):
            took = time.perf_counter() - self.started.get(task.group(2), time.perf_counter())
            ok = "SUCCESS" in task.group(3)
            self.console.write(
                f"  {'✓' if ok else '✗'} {task.group(2)} ({took:.1f}s){'' if ok else ' FAILED'}\n"
            )
        elif _SHOW.match(line):
            self.console.write("    " + line.strip() + "\n")
        self.console.flush()

    def flush(self) -> None:
        self.log.flush()
        self.console.flush()


@dataclass
class LocalRun:
    """Where a local run wrote its outputs."""

    root: Path
    log: Path
    seconds: float
    tasks: dict[str, Path] = field(default_factory=dict)
    cached: dict[str, Path] = field(default_factory=dict)  # reused: the earlier run's folder

    def output(self, task: str, name: str) -> Path:
        """Path of an output artifact or parameter file of a task."""
        path = self.tasks.get(task, self.root / task) / name
        if not path.exists():
            raise RuntimeFailure(f"run {self.root.name}: task {task!r} produced no {name!r}")
        return path

    def iterations(self, task: str, name: str) -> list[Path]:
        """An output of ``task`` in every iteration of the ``dsl.ParallelFor`` around it, in
        iteration order (kfp.local runs iteration i of loop L in ``<run>/L-iteration-i/``)."""
        found = self.root.glob(f"*-iteration-*/{task}/{name}")
        return sorted(found, key=lambda path: int(path.parts[-3].rsplit("-", 1)[1]))

    def parameter(self, task: str, name: str = "Output") -> Any:
        """A task's output parameter, read from its executor output."""
        executor_output = self.output(task, "executor_output.json")
        values = json.loads(executor_output.read_text(encoding="utf-8"))
        return values.get("parameterValues", {}).get(name)

    def ran(self, task: str) -> bool:
        """The task ran in this run (or its outputs were reused from the cache)."""
        return task in self.cached or (self.root / task / "executor_output.json").exists()


def run_pipeline_locally(
    pipeline: Any,
    arguments: dict[str, Any],
    workspace: Workspace,
    runner: str = "subprocess",
    quiet: bool = False,
) -> LocalRun:
    """Run a compiled-in-memory pipeline under ``kfp.local`` in the workspace.

    Args:
        pipeline: A ``@dsl.pipeline`` function.
        arguments: Pipeline parameters.
        workspace: Outputs go to ``workspace.pipeline_root/<pipeline-name-timestamp>/``.
        runner: ``subprocess`` (this Python environment) or ``container`` (the project image
            through podman's Docker-compatible API).
        quiet: Show nothing on the console (the log file still gets everything).

    Raises:
        RuntimeFailure: A task failed; the message names it and the log file.
    """
    import kfp.local

    if runner not in RUNNERS:
        raise VigiaError(f"unknown runner {runner!r}; choose from {', '.join(RUNNERS)}")
    workspace.ensure()
    if runner == "container":
        from vigia.pipelines.container_runner import docker_runner

        chosen = docker_runner(workspace, arguments)
    else:
        chosen = kfp.local.SubprocessRunner(use_venv=False)
    console = open(os.devnull, "w") if quiet else sys.stdout  # noqa: SIM115
    try:
        with workspace_lock(workspace, console):
            return _run_locked(pipeline, arguments, workspace, chosen, console)
    finally:
        if quiet:
            console.close()


@contextlib.contextmanager
def without_retries(pipeline: Any) -> Iterator[None]:
    """The pipeline's tasks without their retry policy while it runs locally. The policy
    (``pipelines/cluster.py``: 2 more tries, 30 s then 60 s apart) is for a cluster's transient
    faults; kfp.local honours it too, so a step failing on bad input made the user wait 90 s for
    the same error. Restored afterwards, so a later compile of the same object keeps it."""
    spec = getattr(pipeline, "pipeline_spec", None)
    if spec is None:
        yield
        return
    saved = type(spec)()
    saved.CopyFrom(spec)
    dags = [spec.root.dag, *(c.dag for c in spec.components.values() if c.HasField("dag"))]
    for dag in dags:
        for task in dag.tasks.values():
            task.ClearField("retry_policy")
    try:
        yield
    finally:
        spec.CopyFrom(saved)


@contextlib.contextmanager
def workspace_lock(workspace: Workspace, console: TextIO) -> Any:
    """Hold the workspace's pipeline lock (waiting, and saying so, if another run has it)."""
    path = workspace.root / LOCK_FILE
    if os.environ.get(LOCK_HELD) == str(path):  # a step of the run holding it
        yield
        return
    with open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            console.write(f"  waiting for the pipeline run in this workspace ({holder})…\n")
            console.flush()
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        os.environ[LOCK_HELD] = str(path)
        try:
            yield
        finally:
            os.environ.pop(LOCK_HELD, None)
            fcntl.flock(handle, fcntl.LOCK_UN)


def _run_locked(
    pipeline: Any, arguments: dict[str, Any], workspace: Workspace, chosen: Any, console: TextIO
) -> LocalRun:
    import kfp.local

    for line in _reconcile(workspace):
        console.write(f"  repaired: {line}\n")
    before = set(workspace.pipeline_root.iterdir())
    log_dir = workspace.logs / "runs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_path = log_dir / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    scratch = Path(tempfile.mkdtemp(prefix="kfp-", dir=workspace.root))
    started = time.perf_counter()
    failure: Exception | None = None
    try:
        with (
            open(log_path, "w", encoding="utf-8") as log,
            _temporary_tmpdir(scratch),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("ignore")
            sink = _ConsoleFilter(log, console)
            with (
                contextlib.redirect_stdout(sink),
                contextlib.redirect_stderr(sink),
                _watching_cache_hits(console) as hits,
            ):
                kfp.local.init(
                    runner=chosen,
                    pipeline_root=str(workspace.pipeline_root),
                    enable_caching=True,
                    cache_root=str(cache_root(workspace)),
                )
                try:
                    with without_retries(pipeline):
                        pipeline(**arguments)
                except RuntimeError as exc:  # kfp.local's generic "task failed"
                    failure = exc
            sink.flush()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    created = sorted(set(workspace.pipeline_root.iterdir()) - before)
    # A step may run another pipeline (monitoring → retraining): keep this pipeline's folder.
    name = getattr(pipeline, "name", "")
    created = [p for p in created if p.name.startswith(f"{name}-")] or created
    if not created:
        raise RuntimeFailure(f"pipeline produced no run folder; see {log_path}")
    root = created[-1]
    run = LocalRun(root=root, log=log_path, seconds=time.perf_counter() - started)
    run.cached = cached_tasks(hits.hits, cache_root(workspace))
    run.tasks = {**run.cached, **{p.name: p for p in root.iterdir() if p.is_dir()}}
    if failure is not None:
        detail = _task_error(log_path)
        because = f": {detail}" if detail else ""
        raise RuntimeFailure(f"pipeline run failed{because} (log: {log_path})")
    return run


def code_fingerprint() -> str:
    """SHA-256 of the Python sources of the installed vigia packages (the steps' code)."""
    import hashlib
    import importlib.util

    digest = hashlib.sha256()
    for package in CODE_PACKAGES:  # found, not imported
        spec = importlib.util.find_spec(package)
        for folder in map(Path, (spec.submodule_search_locations or []) if spec else []):
            for path in sorted(folder.rglob("*.py")):
                digest.update(f"{package}/{path.relative_to(folder)}".encode() + b"\0")
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root(workspace: Workspace) -> Path:
    """kfp.local's cache of pure steps (``step(..., cache=True)``) in ``workspace``, one per
    version of the code: a step's key holds its parameters, input artifacts, image and its own
    function's source, not the vigia code it calls, so an edit to vigia/ starts a fresh cache."""
    return workspace.root / ".kfp-cache" / code_fingerprint()


class _CacheHits(logging.Handler):
    """Collects kfp.local's ``Task <name> cache hit (key=…)`` lines (logged at INFO on the root
    logger, which shows only warnings by default)."""

    PATTERN = re.compile(r"Task (\S+) cache hit \(key=([0-9a-f]+)\)")

    def __init__(self, console: TextIO) -> None:
        super().__init__(logging.INFO)
        self.console = console
        self.hits: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = self.PATTERN.search(_ANSI.sub("", record.getMessage()))
        if found:
            self.hits.append((found.group(1), found.group(2)))
            self.console.write(f"  ✓ {found.group(1)} (unchanged inputs: reused from the cache)\n")
            self.console.flush()


@contextlib.contextmanager
def _watching_cache_hits(console: TextIO) -> Any:
    root = logging.getLogger()
    handler, level = _CacheHits(console), root.level
    root.addHandler(handler)
    root.setLevel(min(level, logging.INFO) if level else logging.INFO)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def cached_tasks(hits: list[tuple[str, str]], cache: Path) -> dict[str, Path]:
    """Tasks a run took from the cache, each with the folder of the earlier run that holds its
    outputs (read from the cache entry), or the cache entry itself for a task whose outputs are
    parameters only (they are stored in it)."""
    found: dict[str, Path] = {}
    for task, key in hits:
        for entry in sorted(cache.glob(f"{key}*.json")):
            outputs = json.loads(entry.read_text(encoding="utf-8"))
            uris = [v["uri"] for v in outputs.values() if isinstance(v, dict) and v.get("uri")]
            found[task] = Path(uris[0]).parent if uris else entry
    return found


def _reconcile(workspace: Workspace) -> list[str]:
    """Make the store and the registry agree before a run's gate reads the champion (a push
    that crashed between moving ``CURRENT`` and the alias leaves them apart)."""
    from vigia.registry.store import ModelStore

    store = ModelStore(workspace.models)
    names = store.names()
    if not names or not workspace.mlflow_db.exists():
        return []
    from vigia.registry.lifecycle import reconcile, registry_for

    registry = registry_for(workspace)
    return [f"{name}: {line}" for name in names for line in reconcile(store, registry, name)]


def _task_error(log_path: Path) -> str:
    """The last user-facing error line printed by a task, if any."""
    lines = log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    for line in reversed(lines):
        text = _ANSI.sub("", line).strip()
        if ": error: " in text:
            return text
    for line in reversed(lines):
        text = _ANSI.sub("", line).strip()
        if re.match(r"^\w+(Error|Exception): ", text):
            return text
    return ""


@contextlib.contextmanager
def _temporary_tmpdir(path: Path) -> Any:
    """Point TMPDIR at ``path`` so kfp.local's temporary component files land (and are
    deleted) inside the workspace instead of piling up in /tmp."""
    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = str(path)
    tempfile.tempdir = None
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = old
        tempfile.tempdir = None
