"""Request errors of the serving domain: each names the field at fault and has a kind.

The kind decides the HTTP status (and the ``vigia_request_errors_total{kind}`` label): the glue
in ``vigia.serving`` turns an :class:`InvalidRequest` into a JSON 4xx (or gRPC
``INVALID_ARGUMENT``) whose message is the exception's text.
"""

from __future__ import annotations

from typing import Any

from vigia.errors import VigiaError

ECHO_CHARS = 64  # longest piece of a client's value repeated in an error message
MESSAGE_CHARS = 1000  # longest error message (answer body and log line)

# kind → HTTP status
STATUS: dict[str, int] = {
    "malformed": 400,  # not JSON, not an object, wrong top-level structure
    "missing_field": 400,  # a required field / input tensor is absent
    "unknown_field": 400,  # a field / input / output the model does not have
    "wrong_type": 400,  # e.g. a number where a string is expected
    "wrong_datatype": 400,  # V2 tensor datatype differs from the model's metadata
    "wrong_shape": 400,  # V2 tensor shape (or data count) does not fit
    "date_out_of_range": 400,  # a date outside what the server's calendar holds (1700–2199)
    "bad_value": 422,  # well-typed but invalid: negative count, unparsable date, …
    "non_finite": 422,  # NaN or ±inf
    "history_too_short": 422,  # fewer weeks than the model needs
    "history_too_long": 422,  # more weeks than a request may carry
    "unknown_week": 422,  # week_start not in the model's history for that region
    "unreported_week": 422,  # a week of that history with no report (a gap, a ragged end)
    "unknown_region": 404,  # a region the model does not know
    "too_many_rows": 413,  # more rows than one request may carry
    "body_too_large": 413,  # request body above the server's limit
    "body_timeout": 408,  # the request body stalled
}


class InvalidRequest(VigiaError):
    """A bad prediction request. ``kind`` is a key of :data:`STATUS`; ``status`` follows."""

    def __init__(self, kind: str, message: str) -> None:
        if kind not in STATUS:
            raise ValueError(f"unknown request error kind {kind!r}")
        if len(message) > MESSAGE_CHARS:
            message = message[: MESSAGE_CHARS - 1] + "…"
        super().__init__(message)
        self.kind = kind
        self.status = STATUS[kind]


def bounded(value: Any, limit: int = ECHO_CHARS) -> str:
    """A client's value as text for an error message, cut to ``limit`` characters (a 4 MB
    region name must not come back as a 4 MB answer and log line)."""
    text = value if isinstance(value, str) else repr(value)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text)} characters)"
