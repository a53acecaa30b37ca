"""``--json`` output: exactly one JSON document on stdout, everything else on stderr.

While a ``--json`` command runs, file descriptor 1 points at stderr, so progress lines, library
logs and child processes (pipeline steps, podman) cannot reach stdout; the document given to
:func:`print_json` is written to the real stdout when the command ends, even if it then exits
non-zero (e.g. the gate refused the candidate: the outcome is still printed)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_pending: list[str] = []  # the document of the running --json command (at most one)
_active: list[bool] = []  # non-empty while a --json command runs


def print_json(document: Any) -> None:
    """Print the command's JSON document (under ``--json``: once the command ends)."""
    text = json.dumps(document, indent=2, default=str) + "\n"
    if not _active:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    if _pending:
        raise RuntimeError("a --json command printed a second document")
    _pending.append(text)


@contextmanager
def json_stdout(enabled: bool) -> Iterator[None]:
    """Run a command; with ``enabled`` (``--json``) everything it writes to stdout goes to
    stderr and its :func:`print_json` document alone goes to stdout."""
    if not enabled:
        yield
        return
    real_stdout = sys.stdout
    real_stdout.flush()
    saved_fd = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    _active.append(True)
    try:
        yield
    finally:
        _active.clear()
        sys.stdout = real_stdout
        real_stdout.flush()  # whatever was buffered still goes to stderr
        sys.stderr.flush()
        os.dup2(saved_fd, 1)
        os.close(saved_fd)
        if _pending:
            real_stdout.write(_pending.pop())
            real_stdout.flush()
