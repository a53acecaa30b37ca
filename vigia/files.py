"""Writing a file so that no reader ever sees half of it: the one atomic-write helper.

The content goes to a temporary file beside the target, is flushed to disk, then renamed over
the target (``os.replace``, atomic on POSIX). A crash leaves the old file or the new one, never
a mix; a failed write leaves no temporary file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_atomic(path: str | Path, content: str | bytes) -> Path:
    """Replace ``path`` with ``content`` (text is written as UTF-8) in one step; creates the
    folder. The file is readable by others (servers may run as another user)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode("utf-8") if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_json_atomic(path: str | Path, data: Any) -> Path:
    """:func:`write_atomic` of ``data`` as indented JSON (values JSON cannot hold as strings)."""
    return write_atomic(path, json.dumps(data, indent=2, default=str))
