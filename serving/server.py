"""The model server entry point: ``python -m vigia.serving --model-dir DIR --model-name NAME``.

``DIR`` is either a model store (``DIR/<name>/<version>/`` + ``DIR/<name>/CURRENT``: every
named model is served at its current version and hot-swapped when ``CURRENT`` changes) or one
bundle folder (``DIR/vigia-model.json``, e.g. ``/mnt/models`` filled by KServe's storage
initializer). KServe's own options (``--http_port``, ``--grpc_port``, …) are accepted too.

Every model is loaded before the ports open, so ``/v2/health/ready`` answers 200 only once all
of them are ready. SIGINT or SIGTERM stops the server: in-flight requests finish, queued
payload records are written, the process exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import socket
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from fastapi.exceptions import FastAPIDeprecationWarning
from kserve import ModelServer, model_server
from kserve.constants.constants import FASTAPI_APP_IMPORT_STRING
from kserve.errors import ModelNotFound
from kserve.model_repository import ModelRepository
from kserve.protocol.dataplane import DataPlane

from vigia.errors import VigiaError, exit_on_user_error
from vigia.payloads import PayloadWriter
from vigia.serving import metrics
from vigia.serving.http import VigiaGRPCServer, VigiaRESTServer
from vigia.serving.model import VigiaModel
from vigia.serving.options import add_retention_options, retention_from
from vigia.serving.risk_page import mount_risk_page
from vigia.serving.runtime import limit_math_threads
from vigia.serving.sources import ModelSource, model_names

log = logging.getLogger("vigia.serving")

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_ROWS = 1000
DEFAULT_WATCH_SECONDS = 1.0
DEFAULT_BODY_TIMEOUT = 30.0


HOST_VARIABLE = "VIGIA_SERVING_HOST"  # 0.0.0.0 in the predictor image (serving/Dockerfile)


def default_host() -> str:
    """Loopback unless the environment says otherwise: on a workstation 0.0.0.0 would expose
    the model to the network; the predictor image sets ``VIGIA_SERVING_HOST=0.0.0.0`` (its
    port is published or fronted by a Service)."""
    return os.environ.get(HOST_VARIABLE) or "127.0.0.1"


def read_operator_token(path: str | None) -> str | None:
    """The operator token from ``--operator-token-file`` (None: control endpoints off)."""
    if not path:
        return None
    try:
        token = Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise VigiaError(f"--operator-token-file {path}: {exc.strerror}") from None
    if len(token) < 16:
        raise VigiaError(f"--operator-token-file {path}: the token needs at least 16 characters")
    return token


def build_parser(kserve_parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Vigía's options on top of KServe's model-server options."""
    parser = argparse.ArgumentParser(
        prog="python -m vigia.serving",
        description="Serve Vigía models with KServe (V1, V2 and gRPC).",
        parents=[kserve_parser],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--model-dir",
        required=True,
        metavar="DIR",
        help="a model store (DIR/<name>/CURRENT) or one model bundle (DIR/vigia-model.json)",
    )
    parser.add_argument(
        "--model-name",
        dest="model_names",
        action="append",
        metavar="NAME",
        help="model to serve (repeatable); default: every model in the store with a CURRENT "
        "version, or the bundle's manifest name",
    )
    parser.add_argument(
        "--host",
        default=default_host(),
        help=f"address to bind HTTP and gRPC to (${HOST_VARIABLE} if set)",
    )
    parser.add_argument(
        "--operator-token-file",
        metavar="FILE",
        default=None,
        help="enable the control endpoints (/v2/repository/…: load, unload) for requests with "
        "'Authorization: Bearer <token in FILE>'; without it they answer 403",
    )
    parser.add_argument(
        "--body-timeout",
        type=float,
        default=DEFAULT_BODY_TIMEOUT,
        metavar="SECONDS",
        help="answer 408 when a request body stalls this long",
    )
    parser.add_argument(
        "--payload-log",
        metavar="DIR",
        default=None,
        help="write the payload log under DIR/<model>/ (default: no payload log)",
    )
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=DEFAULT_WATCH_SECONDS,
        metavar="SECONDS",
        help="how often to check the store's CURRENT pointers (0: never)",
    )
    add_retention_options(parser)
    parser.add_argument("--max-rows", type=int, default=DEFAULT_MAX_ROWS)
    parser.add_argument("--max-body-bytes", type=int, default=DEFAULT_MAX_BODY_BYTES)
    parser.add_argument("--access-log", action="store_true", help="log one line per HTTP request")
    parser.set_defaults(enable_latency_logging=False)
    return parser


def check_ports_free(host: str, ports: Sequence[int]) -> None:
    """Fail with one line now rather than after loading the models if a port is taken."""
    for port in ports:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn and gRPC do
            try:
                sock.bind(address)
            except OSError as exc:
                raise VigiaError(f"cannot listen on {host}:{port}: {exc.strerror}") from None


def _quiet_logs(access_log: bool) -> None:
    # KServe 0.21 answers with ORJSONResponse, which FastAPI now flags as deprecated.
    warnings.filterwarnings("ignore", category=FastAPIDeprecationWarning)
    if not access_log:
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    logging.getLogger("vigia").setLevel(logging.INFO)
    if not logging.getLogger("vigia").handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logging.getLogger("vigia").addHandler(handler)
        logging.getLogger("vigia").propagate = False


class Repository(ModelRepository):
    """The control endpoints (operator token only, see :class:`vigia.serving.http.ControlGuard`):
    ``POST /v2/repository/models/NAME/load`` loads the store's current version now (and makes
    an unloaded model ready again); ``…/unload`` takes the model out of service — it stays
    registered, answers 503 and readiness turns false until it is loaded again."""

    def _vigia_model(self, name: str) -> VigiaModel:
        model = self.get_model(name)
        if not isinstance(model, VigiaModel):
            raise ModelNotFound(name)
        return model

    async def load(self, name: str) -> bool:
        model = self._vigia_model(name)
        await asyncio.to_thread(model.refresh)
        if model.live is not None:
            model.ready = True
        return model.ready

    def unload(self, name: str) -> None:
        model = self._vigia_model(name)
        model.ready = False
        log.info("%s: unloaded: not ready until it is loaded again", name)


class Plane(DataPlane):
    """V2 model metadata also names the live version and the platform; the server is ready
    only while every model it was started with is registered and ready (KServe's DataPlane
    says ready whatever the models' state)."""

    def __init__(self, model_registry: ModelRepository, expected: Sequence[str]) -> None:
        super().__init__(model_registry=model_registry)
        self.expected = list(expected)

    async def ready(self) -> bool:
        models = self.model_registry.get_models()
        for name in self.expected:
            model = models.get(name)
            if model is None or not await model.healthy():
                return False
        return True

    async def model_metadata(self, model_name: str) -> dict[str, Any]:
        found = await super().model_metadata(model_name)
        model = self.get_model_from_registry(model_name)
        if isinstance(model, VigiaModel):
            found.update(model.metadata_extra())
        return found


class Server(ModelServer):
    """KServe's ModelServer (one process) with Vigía's REST and gRPC front ends."""

    def __init__(self, args: argparse.Namespace) -> None:
        super().__init__(
            http_port=args.http_port,
            grpc_port=args.grpc_port,
            workers=1,
            max_threads=args.max_threads,
            max_asyncio_workers=args.max_asyncio_workers,
            registered_models=Repository(),
            enable_grpc=args.enable_grpc,
            enable_docs_url=args.enable_docs_url,
            enable_latency_logging=args.enable_latency_logging,
            grace_period=5,
        )
        self.args = args
        self.operator_token = read_operator_token(args.operator_token_file)

    def start(self, models: list[Any]) -> None:
        """Serve ``models`` (already loaded) until SIGINT/SIGTERM."""
        self.dataplane = Plane(self.registered_models, [m.name for m in models])
        self._register_and_check_atleast_one_model_is_ready(models)
        from kserve.model_server import app

        mount_risk_page(app, self.dataplane)  # the health worker's page: /risk/<model>
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


def serve(args: argparse.Namespace) -> None:
    """Load the models, start HTTP + gRPC, block until SIGINT/SIGTERM."""
    if args.workers != 1:
        raise VigiaError("--workers must be 1 (scale with replicas; each process hot-swaps)")
    for option in ("max_rows", "max_body_bytes"):
        if getattr(args, option) < 1:
            raise VigiaError(f"--{option.replace('_', '-')} must be at least 1")
    limit_math_threads()
    model_dir = Path(args.model_dir).expanduser().resolve()
    names = model_names(model_dir, args.model_names)
    check_ports_free(args.host, [args.http_port, *([args.grpc_port] if args.enable_grpc else [])])
    _quiet_logs(args.access_log)
    retention = retention_from(args)
    writer = PayloadWriter(args.payload_log, retention=retention) if args.payload_log else None
    models = []
    try:
        if writer is not None:
            metrics.watch_payload_writer(writer)
        for name in names:
            model = VigiaModel(name, ModelSource(name, model_dir), writer, args.max_rows)
            model.load()
            models.append(model)
        server = Server(args)
        for model in models:
            model.watch(args.watch_interval)
        live = ", ".join(f"{m.name} v{m.live.version}" for m in models if m.live)
        log.info("serving %s on http://%s:%d (gRPC %d)", live, args.host, args.http_port,
                 args.grpc_port)  # fmt: skip
        server.start(models)
    finally:
        # Finish cleanly even if Ctrl-C is pressed again (or a signal is re-delivered).
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for model in models:
            model.stop()
        if writer is not None:
            writer.close()
        log.info("server stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments (KServe's parser parses ``sys.argv`` when first imported, so callers
    that pass ``argv`` set ``sys.argv`` to match first) and serve."""
    args = build_parser(model_server.parser).parse_args(argv)
    with exit_on_user_error("vigia serve"):
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
