"""User-facing errors and the CLI's exit codes.

Anything raised as a :class:`VigiaError` is a problem meant for the user, not a bug: the CLI
prints its message as one line on stderr and exits with the error's code (:data:`EXIT_CODES`),
the server answers with a 4xx. This module is the one place that maps errors to exit codes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

# The exit codes of `vigia` (also in `vigia --help` and the README).
EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_GATE_REFUSED = 3
EXIT_CODES = {
    EXIT_OK: "success",
    EXIT_RUNTIME: "runtime failure (a service unreachable, a pipeline step failed)",
    EXIT_USAGE: "bad input or usage",
    EXIT_GATE_REFUSED: "the gate refused the candidate (the run finished; nothing was pushed)",
}


class VigiaError(Exception):
    """An error whose message is meant for the user (bad input, missing set-up)."""

    exit_code = EXIT_USAGE


class DataContractError(VigiaError):
    """Input data breaks the data contract (columns, types, ranges, duplicates, gaps)."""


class NotFoundError(VigiaError):
    """A requested model, version, region or file does not exist."""


class RuntimeFailure(VigiaError):
    """The input was fine but the work failed: a service is unreachable or answered with a
    server error, a pipeline step failed, a server did not come up."""

    exit_code = EXIT_RUNTIME


class GateRefusedError(VigiaError):
    """An action needs an approved model and the model at hand is not approved (also raised by
    a training command whose run finished with the candidate not approved)."""

    exit_code = EXIT_GATE_REFUSED


def exit_codes_help() -> str:
    """The exit codes as the lines of ``vigia --help``'s epilog."""
    return "exit codes:\n" + "\n".join(f"  {code}  {text}" for code, text in EXIT_CODES.items())


@contextmanager
def exit_on_user_error(step: str = "vigia") -> Iterator[None]:
    """Run a block; a :class:`VigiaError` prints ``<step>: error: <message>`` on stderr and
    exits with its code (:data:`EXIT_CODES`) instead of a traceback (the CLI and every
    pipeline step)."""
    try:
        yield
    except VigiaError as exc:
        print(f"{step}: error: {exc}", file=sys.stderr, flush=True)
        raise SystemExit(exc.exit_code) from None
