"""The load-and-query check of a bundle before it goes live, run in a fresh process: the
registry's side of :mod:`vigia.servables.check` (which it starts as ``python -m``, so the store
imports nothing of serving)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError

CHECK_TIMEOUT = 300.0


class BundleRejected(VigiaError):
    """The bundle did not load or did not answer its canned request."""


def load_and_query(folder: str | Path, timeout: float = CHECK_TIMEOUT) -> dict[str, Any]:
    """Run the check on ``folder`` in a fresh Python process; raise :class:`BundleRejected`
    with the reason if it fails, crashes or takes longer than ``timeout`` seconds."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1")}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "vigia.servables.check", str(folder)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired:
        raise BundleRejected(f"{folder}: load-and-query check took over {timeout:g} s") from None
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    try:
        summary = json.loads(lines[-1])
    except (IndexError, ValueError):
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise BundleRejected(
            f"{folder}: load-and-query check died (exit {done.returncode}): {tail[:300]}"
        ) from None
    if not summary.get("ok"):
        raise BundleRejected(f"load-and-query check failed: {summary.get('error')}")
    return dict(summary)
