"""User-facing errors.

Anything raised as a :class:`VigiaError` is a problem with the user's input or set-up, not a bug:
the CLI prints its message as one line and exits with code 2, the server answers with a 4xx.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


class VigiaError(Exception):
    """An error whose message is meant for the user (bad input, missing set-up)."""

    exit_code = 2


class DataContractError(VigiaError):
    """Input data breaks the data contract (columns, types, ranges, duplicates, gaps)."""


class NotFoundError(VigiaError):
    """A requested model, version, region or file does not exist."""


class GateRefusedError(VigiaError):
    """An action needs an approved model and the model at hand is not approved."""


@contextmanager
def exit_on_user_error(step: str = "vigia") -> Iterator[None]:
    """Run a block; a :class:`VigiaError` prints ``<step>: error: <message>`` on stderr and
    exits with its code (2) instead of a traceback (the CLI and every pipeline step)."""
    try:
        yield
    except VigiaError as exc:
        print(f"{step}: error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
