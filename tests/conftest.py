"""Shared fixtures: an isolated workspace per test, the real Peru panel, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from vigia.workspace import Workspace

SMALL_REGIONS = ("PIURA", "LORETO", "TUMBES")


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    """A fresh workspace under tmp_path; VIGIA_HOME points at it for code and subprocesses."""
    ws = Workspace(tmp_path / "ws").ensure()
    monkeypatch.setenv("VIGIA_HOME", str(ws.root))
    return ws


@pytest.fixture(scope="session")
def peru_panel() -> pd.DataFrame:
    """The real department × week panel from the MINSA line list (21 regions × 209 weeks)."""
    from vigia.data.peru import peru_weekly_panel

    return peru_weekly_panel().panel


@pytest.fixture(scope="session")
def small_panel(peru_panel: pd.DataFrame) -> pd.DataFrame:
    """Three real departments, all weeks: fast enough for pipeline tests."""
    return peru_panel[peru_panel["region"].isin(SMALL_REGIONS)].reset_index(drop=True)


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


def run_cli(args: Sequence[str], env: dict[str, str] | None = None, timeout: float = 600,
            cwd: Path | None = None) -> CliResult:
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


@pytest.fixture
def cli():
    """The ``run_cli`` helper as a fixture."""
    return run_cli
