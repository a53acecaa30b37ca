"""Every use of KServe's private API, in one module (KServe 0.21; re-check on every upgrade:
``tests/serving/test_kserve_internals.py`` fails when one of these changes).

Why each is needed (KServe offers no public hook for it):

- ``ModelServer.start`` builds KServe's own REST and gRPC servers: :class:`Server` overrides it
  to build Vigía's, and so calls what the original calls — ``_register_and_check_atleast_one_
  model_is_ready`` (register the loaded models), ``servers``, ``setup_event_loop``,
  ``register_signal_handler`` and ``_serve`` (run them until a signal).
- ``RESTServer._add_middlewares`` / ``_add_exception_handlers``: the only place to put Vigía's
  middlewares (body limit, operator guard, JSON errors) and 4xx handlers on KServe's app; the
  REST server binds 0.0.0.0, so ``config.host`` (uvicorn's) is set after construction.
- ``GRPCServer.start`` binds ``[::]`` and builds KServe's servicer: :class:`VigiaGRPCServer`
  rebuilds the server from ``_data_plane``, ``_model_repository_extension``, ``_kwargs``
  and ``_port`` to bind ``host`` and use the guarded servicer (``_server``).
- ``kserve.model_server.app``: KServe's FastAPI app, a module global, to mount the risk page.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Callable
from concurrent import futures
from typing import Any

from fastapi import FastAPI
from grpc import StatusCode, aio
from kserve import ModelServer
from kserve.constants.constants import FASTAPI_APP_IMPORT_STRING
from kserve.model_repository import ModelRepository
from kserve.protocol.dataplane import DataPlane
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc
from kserve.protocol.grpc.interceptors import ExceptionToStatusInterceptor
from kserve.protocol.grpc.server import GRPCServer
from kserve.protocol.grpc.servicer import InferenceServicer
from kserve.protocol.rest.server import RESTServer

from vigia.serving.http import add_exception_handlers, add_middlewares, token_matches

log = logging.getLogger("vigia.serving")

KSERVE_VERSION = "0.21.0"  # the version these overrides were written against


class VigiaRESTServer(RESTServer):
    """KServe's REST server bound to ``host``, with a body limit and JSON 4xx error answers."""

    def __init__(
        self,
        *args: Any,
        host: str,
        max_body_bytes: int,
        body_timeout: float = 30.0,
        operator_token: str | None = None,
        access_log: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.config.host = host
        if not access_log:  # as uvicorn does for access_log=False (KServe set handlers since)
            access = logging.getLogger("uvicorn.access")
            access.handlers = []
            access.propagate = False
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout
        self.operator_token = operator_token

    def _add_middlewares(self, app: FastAPI) -> None:  # private hook: replaces KServe's
        add_middlewares(app, self.max_body_bytes, self.body_timeout, self.operator_token)

    def _add_exception_handlers(self, app: FastAPI) -> None:  # private hook: extends KServe's
        super()._add_exception_handlers(app)
        add_exception_handlers(app)


class GuardedServicer(InferenceServicer):
    """KServe's gRPC servicer whose repository calls (load/unload) need the operator token in
    the ``authorization`` metadata, like the HTTP control endpoints."""

    def __init__(self, *args: Any, token: str | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.token = token

    async def _guard(self, context: Any) -> None:
        if not self.token:
            await context.abort(StatusCode.PERMISSION_DENIED, "control endpoints are off")
        sent = dict(context.invocation_metadata() or ()).get("authorization")
        if not token_matches(sent, self.token):
            await context.abort(StatusCode.UNAUTHENTICATED, "operator token required")

    async def RepositoryModelLoad(
        self, request: pb.RepositoryModelLoadRequest, context: Any
    ) -> pb.RepositoryModelLoadResponse:
        await self._guard(context)
        return await super().RepositoryModelLoad(request, context)

    async def RepositoryModelUnload(
        self, request: pb.RepositoryModelUnloadRequest, context: Any
    ) -> pb.RepositoryModelUnloadResponse:
        await self._guard(context)
        return await super().RepositoryModelUnload(request, context)


class VigiaGRPCServer(GRPCServer):
    """KServe's gRPC server bound to ``host`` (KServe's binds every interface)."""

    def __init__(self, *args: Any, host: str, operator_token: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.host = host
        self.operator_token = operator_token

    async def start(self, max_workers: int) -> None:
        servicer = GuardedServicer(
            self._data_plane, self._model_repository_extension, token=self.operator_token
        )
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


class Server(ModelServer):
    """KServe's ModelServer (one process) with Vigía's REST and gRPC front ends.

    Args:
        args: The server's options (:func:`vigia.serving.server.build_parser`) and the
            ``operator_token`` read from ``--operator-token-file``.
        registered_models: The model repository (its load/unload are the control endpoints).
        make_dataplane: Builds the data plane from the repository and the served names.
        add_routes: Adds routes of Vigía's own to KServe's app (the risk page).
    """

    def __init__(
        self,
        args: argparse.Namespace,
        registered_models: ModelRepository,
        make_dataplane: Callable[[ModelRepository, list[str]], DataPlane],
        add_routes: Callable[[FastAPI, DataPlane], None],
    ) -> None:
        super().__init__(
            http_port=args.http_port,
            grpc_port=args.grpc_port,
            workers=1,
            max_threads=args.max_threads,
            max_asyncio_workers=args.max_asyncio_workers,
            registered_models=registered_models,
            enable_grpc=args.enable_grpc,
            enable_docs_url=False,
            enable_latency_logging=False,
            timeout_keep_alive=args.timeout_keep_alive,
            grace_period=5,
        )
        self.args = args
        self.operator_token = args.operator_token
        self.make_dataplane = make_dataplane
        self.add_routes = add_routes

    def start(self, models: list[Any]) -> None:
        """Serve ``models`` (already loaded) until SIGINT/SIGTERM."""
        self.dataplane = self.make_dataplane(self.registered_models, [m.name for m in models])
        self._register_and_check_atleast_one_model_is_ready(models)
        from kserve.model_server import app

        self.add_routes(app, self.dataplane)
        self._rest_server = VigiaRESTServer(
            FASTAPI_APP_IMPORT_STRING,
            self.dataplane,
            self.model_repository_extension,
            self.http_port,
            host=self.args.host,
            max_body_bytes=self.args.max_body_bytes,
            body_timeout=self.args.body_timeout,
            operator_token=self.operator_token,
            access_log=self.args.access_log,
            grace_period=self.grace_period,
            event_loop=self.event_loop,
            timeout_keep_alive=self.timeout_keep_alive,
        )
        self.servers.append(self._rest_server.start())
        if self.enable_grpc:
            self._grpc_server = VigiaGRPCServer(
                self.grpc_port,
                self.dataplane,
                self.model_repository_extension,
                kwargs=vars(self.args),
                grace_period=self.grace_period,
                host=self.args.host,
                operator_token=self.operator_token,
            )
            self.servers.append(self._grpc_server.start(self.max_threads))
        self.setup_event_loop()
        self.register_signal_handler()
        asyncio.run(self._serve())
