"""Helpers shared by tests in any folder (import as ``from cli_helpers import ...``)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

SMALL_REGIONS = ("PIURA", "LORETO", "TUMBES")


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(
    args: Sequence[str],
    env: dict[str, str] | None = None,
    timeout: float = 1800,
    cwd: Path | None = None,
) -> CliResult:
    """Run the installed ``vigia`` console script as a user would."""
    exe = Path(sys.executable).with_name("vigia")
    proc = subprocess.run(
        [str(exe), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )
    return CliResult(proc.returncode, proc.stdout, proc.stderr)
