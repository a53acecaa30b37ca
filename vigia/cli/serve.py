"""``vigia serve``: serve the models of the workspace's model store over HTTP (V1/V2) and gRPC.

Runs in the foreground until Ctrl-C (SIGINT) or SIGTERM. Every model is loaded before the ports
open, so ``GET /v2/health/ready`` answering 200 means every model is ready. A new approved
version pushed to the store (or ``vigia models rollback``) is picked up without a restart.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from vigia.cli.common import workspace
from vigia.serving.options import add_retention_options


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "serve", help="serve the model store with KServe (V1, V2, gRPC; hot swap on push)"
    )
    parser.add_argument(
        "--store", metavar="DIR", default=None, help="model store (default: the workspace's)"
    )
    parser.add_argument(
        "--model",
        dest="models",
        metavar="NAME",
        nargs="+",
        action="extend",
        default=None,
        help="models to serve (default: every model with a current version)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind to")
    parser.add_argument("--http-port", type=int, default=8080)
    parser.add_argument("--grpc-port", type=int, default=8081)
    parser.add_argument(
        "--payload-log",
        metavar="DIR",
        default=None,
        help="payload log folder (default: the workspace's logs/payloads)",
    )
    parser.add_argument("--no-payload-log", action="store_true", help="log no payloads")
    add_retention_options(parser)
    parser.add_argument(
        "--watch-interval",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="how often to check the store for a new current version (0: never)",
    )
    parser.add_argument("--max-rows", type=int, default=1000, help="rows per request, at most")
    parser.add_argument(
        "--max-body-bytes", type=int, default=4 * 1024 * 1024, help="request body, at most"
    )
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request")
    parser.add_argument(
        "--operator-token-file",
        metavar="FILE",
        default=None,
        help="enable the control endpoints (load/unload) for 'Authorization: Bearer <token>'",
    )
    parser.add_argument(
        "--container",
        action="store_true",
        help="run the predictor image (podman; `make images` builds it): store mounted "
        "read-only, ports published on --host",
    )
    parser.set_defaults(handler=_serve)


def server_arguments(args: argparse.Namespace) -> list[str]:
    """The ``python -m vigia.serving`` arguments equivalent to a ``vigia serve`` command."""
    ws = workspace(args)
    argv = ["--model-dir", str(args.store or ws.models), "--host", args.host]
    for name in args.models or []:
        argv += ["--model-name", name]
    argv += ["--http_port", str(args.http_port), "--grpc_port", str(args.grpc_port)]
    if not args.no_payload_log:
        argv += ["--payload-log", str(args.payload_log or ws.payload_logs)]
    argv += ["--watch-interval", str(args.watch_interval), "--max-rows", str(args.max_rows)]
    argv += ["--max-body-bytes", str(args.max_body_bytes)]
    argv += ["--payload-retention-days", str(args.payload_retention_days)]
    argv += ["--payload-max-bytes", str(args.payload_max_bytes)]
    if args.access_log:
        argv.append("--access-log")
    if args.operator_token_file:
        argv += ["--operator-token-file", str(args.operator_token_file)]
    return argv


def _serve(args: argparse.Namespace) -> int:
    from pathlib import Path

    from vigia.serving.sources import model_names

    argv = server_arguments(args)
    model_names(Path(argv[1]).resolve(), args.models)  # a bad store fails before KServe loads
    if args.container:
        from vigia.serving.container import serve_in_container

        return serve_in_container(argv)
    # KServe parses sys.argv when it is first imported: make it the server's arguments.
    sys.argv = [sys.argv[0], *argv]
    from vigia.serving.server import main

    return main(argv)
