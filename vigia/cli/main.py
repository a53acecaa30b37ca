"""``vigia``: the command line. Each command group lives in its own module with a
``register(subparsers)`` function; heavy imports happen inside the handlers, so ``vigia --help``
stays fast."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from vigia import __version__
from vigia.cli.output import json_stdout
from vigia.errors import exit_codes_help, exit_on_user_error

# One module per command group (see each module's docstring).
COMMAND_MODULES = (
    "vigia.cli.demo",
    "vigia.cli.pipeline",
    "vigia.cli.models",
    "vigia.cli.forecast",
    "vigia.cli.serve",
    "vigia.cli.allocate",
    "vigia.cli.dashboard",
    "vigia.cli.risk",
    "vigia.cli.monitor",
    "vigia.cli.replay",
    "vigia.cli.ui",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigia",
        description="Vigía: outbreak forecasting, risk scoring and resource allocation, "
        "with the MLOps around them (KFP pipelines, MLflow registry, KServe serving).",
        epilog="With --json a command prints one JSON document on stdout and its progress on "
        "stderr.\n\n" + exit_codes_help(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"vigia {__version__}")
    parser.add_argument(
        "--workspace",
        metavar="DIR",
        help="workspace folder (default: $VIGIA_HOME or ./.vigia)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vigia`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with exit_on_user_error("vigia"), json_stdout(getattr(args, "json", False)):
        try:
            return int(args.handler(args) or 0)
        except KeyboardInterrupt:
            print("vigia: interrupted", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
