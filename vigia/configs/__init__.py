"""The shipped settings files (``gates.toml``, ``monitor.toml``, …) and the one way to read a
TOML config, a user's file or a shipped default, with one-line errors that name the file."""

from __future__ import annotations

import importlib.resources
import tomllib
from pathlib import Path
from typing import Any

from vigia.errors import NotFoundError, VigiaError


def config_text(
    path: str | Path | None, packaged: str, what: str, package: str = "vigia.configs"
) -> tuple[str, str]:
    """``(text, label)`` of the user's file ``path``, or of the shipped file ``packaged`` (in
    ``package``) when ``path`` is None. ``label`` names the file in messages.

    Raises:
        NotFoundError: ``path`` does not exist (``<what> <path>: No such file or directory``).
        VigiaError: ``path`` cannot be read.
    """
    if path is None:
        return (importlib.resources.files(package) / packaged).read_text("utf-8"), packaged
    try:
        return Path(path).read_text(encoding="utf-8"), str(path)
    except FileNotFoundError as exc:
        raise NotFoundError(f"{what} {path}: {exc.strerror}") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise VigiaError(f"{what} {path}: {reason}") from None


def parse_toml(text: str, label: str) -> dict[str, Any]:
    """The TOML document ``text``; a syntax error is one line naming ``label``."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VigiaError(f"{label}: not valid TOML (invalid TOML syntax: {exc})") from None


def read_toml(
    path: str | Path | None, packaged: str, what: str, package: str = "vigia.configs"
) -> tuple[dict[str, Any], str]:
    """``(document, label)``: :func:`config_text` parsed with :func:`parse_toml`."""
    text, label = config_text(path, packaged, what, package)
    return parse_toml(text, label), label
