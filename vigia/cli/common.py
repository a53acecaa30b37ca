"""Small helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vigia.errors import GateRefusedError
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


def refuse_unless_approved(outcome: dict[str, Any]) -> None:
    """After a training run's outcome is printed: GateRefusedError (its own exit code) when the
    gate did not approve the candidate, so scripts can tell "trained, not pushed" from success."""
    decision = outcome["decision"]
    if not decision["approved"]:
        reasons = "; ".join(decision.get("reasons") or []) or "see the gate's checks"
        raise GateRefusedError(
            f"the gate refused version {outcome['version']}, not pushed: {reasons}"
        )
