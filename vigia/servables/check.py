"""Load-and-query check of a bundle in a fresh process (TFX InfraValidator's idea).

``python -m vigia.servables.check FOLDER`` verifies the bundle's checksum manifest, loads it as
the servable of its kind (refusing an unapproved decision), answers a canned request for every
region it claims (creating every lazily built session, e.g. ONNX) and prints one JSON line
``{"ok": true, "rows": N, "checked_files": F}``; on failure ``{"ok": false, "error": "…"}``
and exit code 2. :func:`vigia.registry.load_check.load_and_query` runs it in a subprocess, so a
bundle that crashes or hangs the interpreter cannot take the caller down, and nothing cached in
the caller hides a broken file.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def check_in_process(folder: str | Path) -> dict[str, Any]:
    """Verify, load and warm ``folder`` here; the summary (raises on any failure)."""
    from vigia.registry.checksums import has_checksums, verify_checksums
    from vigia.servables.kinds import load_servable

    folder = Path(folder)
    checked = verify_checksums(folder) if has_checksums(folder) else 0
    servable = load_servable(folder)
    rows = servable.warm()
    return {"ok": True, "rows": rows, "checked_files": checked}


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
