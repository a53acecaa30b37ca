"""Small helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import sys
import time

from vigia.workspace import Workspace


def unmade_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen with ``--workspace`` / ``$VIGIA_HOME`` / ``./.vigia``, not created
    yet (a workflow creates it once its inputs are valid)."""
    return Workspace.from_env(getattr(args, "workspace", None))


def workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen with ``--workspace`` / ``$VIGIA_HOME`` / ``./.vigia``, created."""
    return unmade_workspace(args).ensure()


class Step:
    """Prints ``▶ message`` and, on exit, ``✓ message (1.2s)``: progress on long work."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.started = 0.0

    def __enter__(self) -> Step:
        self.started = time.perf_counter()
        print(f"▶ {self.message} …", flush=True)
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        took = time.perf_counter() - self.started
        mark = "✓" if exc_type is None else "✗"
        print(f"{mark} {self.message} ({took:.1f}s)", flush=True)


def say(message: str) -> None:
    print(message, flush=True)


def warn(message: str) -> None:
    print(f"vigia: warning: {message}", file=sys.stderr, flush=True)
