"""``vigia ui``: the Evidently UI on the workspace's monitoring project (drift and performance
history of every check; each check's reports). Runs in the foreground until Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from vigia.progress import say


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "ui", help="the Evidently UI on the monitoring reports (drift and performance history)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind to")
    parser.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    parser.set_defaults(handler=_ui)


def ui_command(folder: str, host: str, port: int) -> list[str]:
    """The command that serves the Evidently workspace at ``folder``."""
    return [
        sys.executable, "-m", "evidently.cli", "ui",
        "--workspace", folder, "--host", host, "--port", str(port),
    ]  # fmt: skip


def _ui(args: argparse.Namespace) -> int:
    from vigia.cli.common import workspace
    from vigia.monitor.paths import MonitorPaths

    folder = MonitorPaths.from_workspace(workspace(args)).evidently
    if not folder.exists():
        say(f"no monitoring check has run in this workspace yet ({folder}); the UI starts empty")
        folder.mkdir(parents=True, exist_ok=True)
    say(f"Evidently UI on {folder}: http://{args.host}:{args.port} (Ctrl-C to stop)")
    env = {**os.environ, "DO_NOT_TRACK": "1"}  # no usage telemetry leaves the machine
    command = ui_command(str(folder), args.host, args.port)
    # Become the UI server: Ctrl-C and SIGTERM reach it directly, no child is left behind.
    os.execve(command[0], command, env)
    return 0  # not reached
