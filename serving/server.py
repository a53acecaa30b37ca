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
from kserve.constants.constants import MAX_GRPC_MESSAGE_LENGTH
from kserve.errors import ModelNotFound
from kserve.model_repository import ModelRepository
from kserve.protocol.dataplane import DataPlane
from kserve.utils.utils import strtobool

from vigia.errors import VigiaError, exit_on_user_error
from vigia.payloads import PayloadWriter
from vigia.serving import metrics
from vigia.serving.kserve_internals import Server
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


def build_parser() -> argparse.ArgumentParser:
    """The server's options: the KServe model-server options it honours, then Vigía's.

    KServe's own parser is not inherited: most of its options configure what this server
    replaces or does not use (transformer predictor settings, TLS of KServe's REST server, a
    second ``--model_name``, several uvicorn workers), and an option that is accepted must work.
    """
    parser = argparse.ArgumentParser(
        prog="python -m vigia.serving",
        description="Serve Vigía models with KServe (V1, V2 and gRPC).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    kserve = parser.add_argument_group("KServe model server")
    kserve.add_argument("--http_port", type=int, default=8080, help="HTTP (V1, V2) port")
    kserve.add_argument("--grpc_port", type=int, default=8081, help="gRPC (V2) port")
    kserve.add_argument("--enable_grpc", type=strtobool, default=True, help="serve gRPC too")
    kserve.add_argument("--max_threads", type=int, default=4, help="gRPC worker threads")
    kserve.add_argument(
        "--max_asyncio_workers",
        type=int,
        default=None,
        help="threads running model calls (default: min(32, cores + 4))",
    )
    kserve.add_argument(
        "--timeout-keep-alive",
        dest="timeout_keep_alive",
        type=int,
        default=65,
        help="seconds an idle HTTP keep-alive connection stays open (longer than a proxy's)",
    )
    for direction in ("send", "receive"):
        kserve.add_argument(
            f"--grpc_max_{direction}_message_length",
            type=int,
            default=MAX_GRPC_MESSAGE_LENGTH,
            help="bytes",
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


def serve(args: argparse.Namespace) -> None:
    """Load the models, start HTTP + gRPC, block until SIGINT/SIGTERM."""
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
        args.operator_token = read_operator_token(args.operator_token_file)
        server = Server(args, Repository(), Plane, mount_risk_page)
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
    args = build_parser().parse_args(argv)
    with exit_on_user_error("vigia serve"):
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
