"""Serving errors as KServe and FastAPI see them.

:class:`RequestRejected` wraps a domain :class:`~vigia.servables.errors.InvalidRequest`; it is a
``kserve.errors.InvalidInput`` so gRPC answers ``INVALID_ARGUMENT``, and the HTTP handler in
:mod:`vigia.serving.http` answers with its own status (400/404/413/422).
"""

from __future__ import annotations

from fastapi import HTTPException
from kserve.errors import InvalidInput

from vigia.servables.errors import InvalidRequest


class RequestRejected(InvalidInput):
    """A bad request: HTTP ``status`` with a JSON ``{"error": message}``; ``kind`` for metrics."""

    def __init__(self, error: InvalidRequest) -> None:
        super().__init__(str(error))
        self.status = error.status
        self.kind = error.kind


class PredictionFailed(RuntimeError):
    """The model failed on a valid request (a bug or a broken model): HTTP 500, gRPC INTERNAL.
    The message names the request id; the traceback goes to the server log only."""


class BodyTooLarge(HTTPException):
    """Request body above the server's limit (HTTP 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes (the server's limit)")
        self.limit = limit


class BodyTimeout(HTTPException):
    """The request body stalled: no data for ``seconds`` (HTTP 408)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(408, f"request body not received within {seconds:g} s")
