"""Small helpers shared by the CLI command modules."""

from __future__ import annotations

import argparse
import socket
import sys
import time
from typing import Any

from vigia.workspace import Workspace


def workspace(args: argparse.Namespace) -> Workspace:
    """The workspace chosen with ``--workspace`` / ``$VIGIA_HOME`` / ``./.vigia``, created."""
    return Workspace.from_env(getattr(args, "workspace", None)).ensure()


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


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1 (held together while chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def add_retention_options(parser: argparse.ArgumentParser) -> None:
    """``--payload-retention-days`` and ``--payload-max-bytes`` (servers and the sink)."""
    parser.add_argument(
        "--payload-retention-days",
        type=float,
        default=90.0,
        metavar="DAYS",
        help="delete payload-log files last written more than DAYS ago",
    )
    parser.add_argument(
        "--payload-max-bytes",
        type=int,
        default=5 * 1024**3,
        metavar="BYTES",
        help="keep at most BYTES of payload log per model (oldest files go first)",
    )


def retention_from(args: argparse.Namespace) -> Any:
    """The :class:`vigia.payloads.Retention` the options ask for."""
    from vigia.errors import VigiaError
    from vigia.payloads import Retention

    if args.payload_retention_days <= 0 or args.payload_max_bytes <= 0:
        raise VigiaError("--payload-retention-days and --payload-max-bytes must be positive")
    return Retention(args.payload_retention_days, args.payload_max_bytes)
