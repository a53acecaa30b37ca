"""Command-line options shared by the model server, the payload sink and ``vigia serve``."""

from __future__ import annotations

import argparse

from vigia.errors import VigiaError
from vigia.payloads import Retention


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


def retention_from(args: argparse.Namespace) -> Retention:
    """The :class:`vigia.payloads.Retention` the options ask for."""
    if args.payload_retention_days <= 0 or args.payload_max_bytes <= 0:
        raise VigiaError("--payload-retention-days and --payload-max-bytes must be positive")
    return Retention(args.payload_retention_days, args.payload_max_bytes)
