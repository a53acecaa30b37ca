"""Turning user errors into one readable line and an exit code (CLI and pipeline steps)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from vigia.errors import VigiaError


@contextmanager
def exit_on_user_error(step: str = "vigia") -> Iterator[None]:
    """Run a block; a :class:`VigiaError` prints ``<step>: error: <message>`` on stderr and
    exits with its code (2) instead of a traceback."""
    try:
        yield
    except VigiaError as exc:
        print(f"{step}: error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
