"""What Vigía adds to KServe's HTTP front end, with FastAPI's and Starlette's public API: the
operator-token guard of the control endpoints, a body-size and body-time limit, and error
answers that are always JSON 4xx for bad requests (never a stack trace in a body). Where they
are hooked into KServe's servers: :mod:`vigia.serving.kserve_internals`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import struct
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from kserve.errors import InvalidInput, ModelNotFound

from vigia.servables.errors import bounded
from vigia.serving import metrics
from vigia.serving.errors import BodyTimeout, BodyTooLarge, PredictionFailed, RequestRejected

log = logging.getLogger("vigia.serving")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Errors KServe's request decoding raises on malformed bodies (a binary-extension body whose JSON
# header lacks "inputs" or holds them as an object, a BYTES length prefix past the end, JSON
# nested too deep to parse): a client's fault, answered with 400.
DECODE_ERRORS = (
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    UnicodeDecodeError,
    AttributeError,
    struct.error,
    RecursionError,
)
CONTROL_PREFIX = "/v2/repository"  # load / unload / index: operators only


def token_matches(sent: str | None, token: str | None) -> bool:
    """True if ``sent`` is ``Bearer <token>`` (constant-time comparison)."""
    if not token or not sent:
        return False
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())


class ControlGuard:
    """ASGI middleware for the model-repository endpoints (``/v2/repository/…``): off (403)
    unless the server has an operator token, and then 401 without ``Authorization: Bearer
    <token>``. Anyone who reaches the port could otherwise unload the model."""

    def __init__(self, app: Callable[..., Awaitable[None]], token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not path.startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        if not self.token:
            status, message = (
                403,
                (
                    "control endpoints are off; start the server with --operator-token-file "
                    "to enable them"
                ),
            )
        else:
            sent = dict(scope.get("headers", [])).get(b"authorization", b"").decode("latin-1")
            if token_matches(sent, self.token):
                await self.app(scope, receive, send)
                return
            status, message = 401, "control endpoints need 'Authorization: Bearer <operator token>'"
        metrics.count_error("", "forbidden")
        log.warning("refused %s %s (%d)", scope.get("method"), path, status)
        await JSONResponse({"error": message}, status_code=status)(scope, _no_receive, send)


class BodyLimit:
    """ASGI middleware: bodies above ``max_bytes`` get 413, whether the client declares
    ``Content-Length`` or streams chunks; a body whose next chunk does not arrive within
    ``timeout`` seconds gets 408 (a stalled client must not hold a connection open)."""

    def __init__(
        self, app: Callable[..., Awaitable[None]], max_bytes: int, timeout: float = 30.0
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.max_bytes:
                    await _reject_too_large(scope, send, self.max_bytes)
                    return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            try:
                message = await asyncio.wait_for(receive(), self.timeout)
            except TimeoutError:
                raise BodyTimeout(self.timeout) from None
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


class ErrorAnswers:
    """ASGI middleware, innermost: an exception no handler took (KServe's request decoding
    tripping over a malformed body, or a bug) becomes a JSON answer here — 400 for a
    malformed inference body, else 500 — instead of reaching Starlette's error middleware,
    which answers and then re-raises (a traceback per request and, often, a reset
    connection)."""

    def __init__(self, app: Callable[..., Awaitable[None]]) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if started:
                log.error("error after the answer started on %s", scope.get("path"), exc_info=exc)
                return
            status, kind, message = _classify(scope.get("path", ""), exc)
            metrics.count_error(_model_in_path(scope.get("path", "")), kind)
            await JSONResponse({"error": message}, status_code=status)(scope, _no_receive, send)


def _classify(path: str, exc: Exception) -> tuple[int, str, str]:
    """(status, metrics kind, message) for an exception no handler took."""
    if path.endswith(("/infer", ":predict")) and isinstance(exc, DECODE_ERRORS):
        log.warning("malformed request to %s: %s", path, type(exc).__name__)
        detail = bounded(f"{type(exc).__name__}: {exc}", 200)
        return 400, "malformed", f"malformed request ({detail})"
    log.error("unexpected error on %s", path, exc_info=exc)
    return 500, "internal", "internal server error; see the server log"


async def _reject_too_large(scope: Scope, send: Send, limit: int) -> None:
    metrics.count_error(_model_in_path(scope.get("path", "")), "body_too_large")
    response = JSONResponse({"error": str(BodyTooLarge(limit).detail)}, status_code=413)
    await response(scope, _no_receive, send)


async def _no_receive() -> Message:
    return {"type": "http.disconnect"}


def _model_in_path(path: str) -> str:
    """The model name in a /v1/models/NAME… or /v2/models/NAME… path ('' if none)."""
    parts = path.split("/")
    if len(parts) > 3 and parts[2] == "models":
        return parts[3].split(":")[0]
    return ""


def _error(request: Request, status: int, kind: str, message: str) -> JSONResponse:
    metrics.count_error(_model_in_path(request.url.path), kind)
    return JSONResponse({"error": message}, status_code=status)


async def _rejected(request: Request, exc: Exception) -> JSONResponse:
    # Counted by the model already (it knows the kind); answer with the status it chose.
    assert isinstance(exc, RequestRejected)
    return JSONResponse({"error": str(exc)}, status_code=exc.status)


async def _invalid_input(request: Request, exc: Exception) -> JSONResponse:
    log.warning("bad request to %s: %s", request.url.path, exc)
    return _error(request, 400, "malformed", str(exc))


async def _too_large(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTooLarge)
    return _error(request, 413, "body_too_large", str(exc.detail))


async def _body_timeout(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyTimeout)
    return _error(request, 408, "body_timeout", str(exc.detail))


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    malformed_json = False
    for error in exc.errors():
        malformed_json = malformed_json or error.get("type") == "json_invalid"
        where = ".".join(str(p) for p in error.get("loc", ()) if p != "body") or "body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    if malformed_json:
        return _error(request, 400, "malformed", "request body is not valid JSON")
    return _error(request, 422, "malformed", "invalid V2 request: " + "; ".join(problems[:5]))


async def _model_not_found(request: Request, exc: Exception) -> JSONResponse:
    return _error(request, 404, "unknown_model", str(exc))


async def _not_implemented(request: Request, exc: Exception) -> JSONResponse:
    """KServe's ``/v2/models/NAME/versions/N/…`` routes: not a server fault (was 501)."""
    return _error(
        request,
        404,
        "unknown_model",
        "versioned paths are not served: this server answers with the live version at "
        "/v2/models/NAME/… (the version is in every response)",
    )


async def _prediction_failed(request: Request, exc: Exception) -> JSONResponse:
    return _error(request, 500, "internal", str(exc))


EXCEPTION_HANDLERS: list[tuple[type[Exception], Callable[..., Awaitable[JSONResponse]]]] = [
    (RequestRejected, _rejected),
    (InvalidInput, _invalid_input),
    (BodyTooLarge, _too_large),
    (BodyTimeout, _body_timeout),
    (RequestValidationError, _validation),
    (ModelNotFound, _model_not_found),
    (NotImplementedError, _not_implemented),
    (PredictionFailed, _prediction_failed),
]


def add_middlewares(
    app: FastAPI, max_body_bytes: int, body_timeout: float, operator_token: str | None
) -> None:
    """Vigía's middlewares, outermost last: the operator-token guard, the body limit, the JSON
    error answers."""
    app.add_middleware(ErrorAnswers)  # innermost: added first
    app.add_middleware(BodyLimit, max_bytes=max_body_bytes, timeout=body_timeout)
    app.add_middleware(ControlGuard, token=operator_token)


def add_exception_handlers(app: FastAPI) -> None:
    """JSON 4xx answers for the client's mistakes (after KServe's own handlers)."""
    for exception, handler in EXCEPTION_HANDLERS:
        app.add_exception_handler(exception, handler)
