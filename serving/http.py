"""HTTP and gRPC front ends: KServe's servers with a bind address, a body-size limit and error
answers that are always JSON 4xx for bad requests (never a stack trace in a body).

KServe's REST server binds 0.0.0.0 and its gRPC server [::]; these subclasses bind ``host``.
The REST server leaves out KServe's per-request timing log middleware (Vigía's Prometheus
metrics cover it).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent import futures
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from grpc import aio
from kserve.errors import InvalidInput, ModelNotFound
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc
from kserve.protocol.grpc.interceptors import ExceptionToStatusInterceptor
from kserve.protocol.grpc.server import GRPCServer
from kserve.protocol.grpc.servicer import InferenceServicer
from kserve.protocol.rest.server import RESTServer

from vigia.serving import metrics
from vigia.serving.errors import BodyTooLarge, PredictionFailed, RequestRejected

log = logging.getLogger("vigia.serving")

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

# Errors KServe's request decoding raises on malformed V2 bodies (e.g. a binary-extension body
# whose JSON header lacks "inputs"): a client's fault, answered with 400.
DECODE_ERRORS = (KeyError, IndexError, ValueError, TypeError, UnicodeDecodeError)


class BodyLimit:
    """ASGI middleware: bodies above ``max_bytes`` get 413, whether the client declares
    ``Content-Length`` or streams chunks."""

    def __init__(self, app: Callable[..., Awaitable[None]], max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

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
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, limited, send)


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


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, PredictionFailed):
        return _error(request, 500, "internal", str(exc))
    if request.url.path.endswith(("/infer", ":predict")) and isinstance(exc, DECODE_ERRORS):
        log.warning("malformed request to %s: %r", request.url.path, exc)
        return _error(request, 400, "malformed", f"malformed request ({type(exc).__name__}: {exc})")
    log.error("unexpected error on %s", request.url.path, exc_info=exc)
    return _error(request, 500, "internal", "internal server error; see the server log")


class VigiaRESTServer(RESTServer):
    """KServe's REST server bound to ``host``, with a body limit and JSON 4xx error answers."""

    def __init__(self, *args: Any, host: str, max_body_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config.host = host
        self.max_body_bytes = max_body_bytes

    def _add_middlewares(self, app: FastAPI) -> None:
        app.add_middleware(BodyLimit, max_bytes=self.max_body_bytes)

    def _add_exception_handlers(self, app: FastAPI) -> None:
        super()._add_exception_handlers(app)
        app.add_exception_handler(RequestRejected, _rejected)
        app.add_exception_handler(InvalidInput, _invalid_input)
        app.add_exception_handler(BodyTooLarge, _too_large)
        app.add_exception_handler(RequestValidationError, _validation)
        app.add_exception_handler(ModelNotFound, _model_not_found)
        app.add_exception_handler(Exception, _unexpected)


class VigiaGRPCServer(GRPCServer):
    """KServe's gRPC server bound to ``host`` (KServe's binds every interface)."""

    def __init__(self, *args: Any, host: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.host = host

    async def start(self, max_workers: int) -> None:
        servicer = InferenceServicer(self._data_plane, self._model_repository_extension)
        self._server = aio.server(
            futures.ThreadPoolExecutor(max_workers=max_workers),
            interceptors=(ExceptionToStatusInterceptor(),),
            options=[
                ("grpc.max_send_message_length", self._kwargs["grpc_max_send_message_length"]),
                (
                    "grpc.max_receive_message_length",
                    self._kwargs["grpc_max_receive_message_length"],
                ),
            ],
        )
        grpc_predict_v2_pb2_grpc.add_GRPCInferenceServiceServicer_to_server(servicer, self._server)
        address = f"[{self.host}]:{self._port}" if ":" in self.host else f"{self.host}:{self._port}"
        self._server.add_insecure_port(address)
        log.info("gRPC server listening on %s", address)
        await self._server.start()
        await self._server.wait_for_termination()
