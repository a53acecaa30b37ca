"""Load-and-query check of a bundle in a fresh process (TFX InfraValidator's idea).

``python -m vigia.servables.check FOLDER`` verifies the bundle's checksum manifest, loads it as
the servable of its kind (refusing an unapproved decision), answers a canned request for every
region it claims (creating every lazily built session, e.g. ONNX) and prints one JSON line
``{"ok": true, "rows": N, "checked_files": F}``; on failure ``{"ok": false, "error": "…"}``
and exit code 2. :func:`load_and_query` runs it in a subprocess, so a bundle that crashes or
hangs the interpreter cannot take the caller down, and nothing cached in the caller hides a
broken file.
"""

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


def check_in_process(folder: str | Path) -> dict[str, Any]:
    """Verify, load and warm ``folder`` here; the summary (raises on any failure)."""
    from vigia.registry.checksums import has_checksums, verify_checksums
    from vigia.servables.kinds import load_servable

    folder = Path(folder)
    checked = verify_checksums(folder) if has_checksums(folder) else 0
    servable = load_servable(folder)
    rows = servable.warm()
    return {"ok": True, "rows": rows, "checked_files": checked}


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


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m vigia.servables.check BUNDLE_FOLDER", file=sys.stderr)
        return 2
    try:
        summary = check_in_process(args[0])
    except Exception as exc:  # any failure of the bundle is the answer, not a traceback
        detail = " ".join(str(exc).split())[:500]  # one line (native libraries add backtraces)
        print(json.dumps({"ok": False, "error": f"{type(exc).__name__}: {detail}"}))
        return 2
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
