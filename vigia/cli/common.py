"""Small helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import sys

from vigia.workspace import Workspace


def unmade_workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen with ``--workspace`` / ``$VIGIA_HOME`` / ``./.vigia``, not created
    yet (a workflow creates it once its inputs are valid)."""
    return Workspace.from_env(getattr(args, "workspace", None))


def workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen with ``--workspace`` / ``$VIGIA_HOME`` / ``./.vigia``, created."""
    return unmade_workspace(args).ensure()


def warn(message: str) -> None:
    print(f"vigia: warning: {message}", file=sys.stderr, flush=True)
