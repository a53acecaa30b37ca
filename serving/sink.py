"""``python -m vigia.serving.sink``: the payload-log sink for KServe's request logger.

On a cluster the InferenceService's ``logger`` (``mode: all``) posts two CloudEvents per
request to this service: ``org.kubeflow.serving.inference.request`` and
``…inference.response``, with the same ``ce-id``. The sink pairs them, rebuilds the rows the
model saw and answered with the same servable code the predictor uses, and appends one record
per request to the payload log with the same :class:`~vigia.payloads.PayloadWriter`.

Endpoints: ``POST /`` (any path) takes events (binary or structured CloudEvents); ``GET
/healthz``; ``GET /metrics`` (Prometheus). The model store (or one bundle) it reads must hold the
versions the predictors serve: it is what turns a request into the rows the model saw.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from cloudevents.exceptions import GenericException
from cloudevents.http import from_http
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from vigia.errors import VigiaError, exit_on_user_error
from vigia.models.bundle import read_manifest
from vigia.payloads import PayloadWriter, payload_record
from vigia.servables.base import Servable, json_tensor
from vigia.servables.errors import InvalidRequest
from vigia.servables.kinds import load_servable
from vigia.serving.options import add_retention_options, retention_from
from vigia.serving.runtime import limit_math_threads
from vigia.serving.sources import ModelSource

log = logging.getLogger("vigia.serving.sink")

REQUEST_EVENT = "org.kubeflow.serving.inference.request"
RESPONSE_EVENT = "org.kubeflow.serving.inference.response"

EVENTS = Counter("vigia_sink_events", "CloudEvents received", ["type"])
OUTCOMES = Counter("vigia_sink_requests", "Logged requests by outcome", ["outcome"])


@dataclass
class Event:
    """Half of a logged request: the request or the response body, with its send time."""

    body: Any
    time: datetime | None
    received: float


class Servables:
    """Servables by (model name, version), loaded on first use from a store or one bundle."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = model_dir
        self._loaded: dict[tuple[str, int], Servable] = {}
        self._lock = threading.Lock()

    def preload(self) -> None:
        """Load what the predictors most likely serve now: every current version of the store,
        or the bundle. A version that does not load is reported and loaded again on use."""
        source = ModelSource("", self.model_dir)
        if source.store is None:
            wanted = [(str(read_manifest(self.model_dir).get("name") or ""), None)]
        else:
            wanted = [(name, source.store.current(name)) for name in source.store.names()]
        for name, version in wanted:
            try:
                servable = self.get(name, version if version is not None else -1)
            except VigiaError as exc:
                log.warning("%s: not preloaded: %s", name, exc)
                continue
            log.info("%s: version %d preloaded", name, servable.version)

    def get(self, name: str, version: int) -> Servable:
        """The servable of ``name`` at ``version`` (a bundle folder serves every version)."""
        source = ModelSource(name, self.model_dir)
        key = (name, version if source.store is not None else -1)
        with self._lock:
            if key not in self._loaded:
                folder = self.model_dir
                if source.store is not None:
                    folder = source.store.version_dir(name, version)
                    if not folder.is_dir():
                        raise VigiaError(f"{name} version {version} is not in {self.model_dir}")
                self._loaded[key] = load_servable(folder)
            servable = self._loaded[key]
        if source.store is None and version >= 0 and servable.version != version:
            log.warning(
                "%s: event for version %d rebuilt with the bundle (version %d)",
                name,
                version,
                servable.version,
            )
        return servable


class Sink:
    """Pairs request and response events by id and writes payload records."""

    def __init__(self, servables: Servables, writer: PayloadWriter, pair_timeout: float) -> None:
        self.servables = servables
        self.writer = writer
        self.pair_timeout = pair_timeout
        self._pending: dict[tuple[str, str], Event] = {}
        self._lock = threading.Lock()

    def receive(self, event_id: str, event_type: str, event: Event) -> str:
        """Take one event; returns what happened (``pending``, ``logged``, ``skipped``)."""
        half = "request" if event_type == REQUEST_EVENT else "response"
        other = "response" if half == "request" else "request"
        with self._lock:
            self._expire()
            partner = self._pending.pop((event_id, other), None)
            if partner is None:
                self._pending[(event_id, half)] = event
                return "pending"
        request, response = (event, partner) if half == "request" else (partner, event)
        return self._log(event_id, request, response)

    def _expire(self) -> None:
        cutoff = time.monotonic() - self.pair_timeout
        for key in [k for k, e in self._pending.items() if e.received < cutoff]:
            del self._pending[key]
            OUTCOMES.labels("unpaired").inc()

    def _log(self, event_id: str, request: Event, response: Event) -> str:
        body, answer = request.body, response.body
        if not isinstance(answer, dict) or "error" in answer or "model_name" not in answer:
            OUTCOMES.labels("not_a_prediction").inc()  # rejected requests are not logged
            return "skipped"
        try:
            name = str(answer["model_name"])
            version = int(answer.get("model_version") or 0)
            servable = self.servables.get(name, version)
            if isinstance(body, dict) and "inputs" in body:
                protocol = "v2"
                tensors = [json_tensor(t, f"inputs[{i}]") for i, t in enumerate(body["inputs"])]
                batch = servable.parse_v2(servable.check_v2(tensors))
                outputs = {
                    t.name: t.array()
                    for t in (json_tensor(o, "output") for o in answer.get("outputs", []))
                }
                result = servable.v2_result(batch, outputs)
            else:
                protocol = "v1"
                batch = servable.parse_v1(body)
                result = servable.v1_result(batch, answer.get("predictions") or [])
        except (InvalidRequest, VigiaError, KeyError, TypeError, ValueError) as exc:
            OUTCOMES.labels("undecodable").inc()
            log.warning("event %s: cannot rebuild the payload: %s", event_id, exc)
            return "skipped"
        latency = None
        if request.time and response.time:
            latency = (response.time - request.time).total_seconds() * 1000

        def build() -> dict[str, Any]:
            inputs, outputs = servable.payload_rows(batch, result)
            return payload_record(
                ts=request.time.isoformat(timespec="milliseconds") if request.time else None,
                request_id=event_id,
                model=name,
                version=version,
                kind=servable.kind,
                protocol=protocol,
                latency_ms=latency,
                inputs=inputs,
                outputs=outputs,
                features=servable.declared_fields,
            )

        self.writer.submit(name, build)
        OUTCOMES.labels("logged").inc()
        return "logged"


def _event_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def create_app(sink: Sink, max_body_bytes: int) -> FastAPI:
    """The sink's HTTP app."""
    app = FastAPI(title="Vigía payload sink", docs_url=None, redoc_url=None)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics")
    def prometheus() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.post("/{path:path}")
    async def receive(request: Request) -> JSONResponse:
        raw = await request.body()
        if len(raw) > max_body_bytes:
            return JSONResponse({"error": f"event larger than {max_body_bytes} bytes"}, 413)
        try:
            event = from_http(dict(request.headers), raw)
            event_id, event_type = str(event["id"]), str(event["type"])
        except (GenericException, KeyError, ValueError) as exc:
            return JSONResponse({"error": f"not a CloudEvent: {exc}"}, 400)
        if event_type not in (REQUEST_EVENT, RESPONSE_EVENT):
            return JSONResponse({"error": f"unexpected event type {event_type!r}"}, 400)
        EVENTS.labels(event_type.rsplit(".", 1)[-1]).inc()
        data = event.data
        if isinstance(data, bytes | str):
            try:
                data = json.loads(data)
            except (ValueError, UnicodeDecodeError):
                data = None  # not JSON (e.g. a binary V2 body): paired, then skipped
        half = Event(data, _event_time(event.get("time")), time.monotonic())
        status = await asyncio.to_thread(sink.receive, event_id, event_type, half)
        return JSONResponse({"status": status})

    return app


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m vigia.serving.sink",
        description="Receive KServe logger CloudEvents and write Vigía payload logs.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument(
        "--model-dir",
        required=True,
        metavar="DIR",
        help="the model store (or one bundle) the predictors serve from",
    )
    parser.add_argument(
        "--payload-log", required=True, metavar="DIR", help="write DIR/<model>/payloads-*.jsonl"
    )
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument(
        "--pair-timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="drop a request or response whose partner has not arrived by then",
    )
    parser.add_argument("--max-body-bytes", type=int, default=16 * 1024 * 1024)
    add_retention_options(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sink until SIGINT/SIGTERM; queued records are written before exit."""
    import uvicorn

    args = build_parser().parse_args(argv)
    limit_math_threads()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    with exit_on_user_error("vigia sink"):
        model_dir = Path(args.model_dir).expanduser().resolve()
        if not model_dir.is_dir():
            raise VigiaError(f"--model-dir {model_dir} does not exist")
        writer = PayloadWriter(args.payload_log, retention=retention_from(args))
        servables = Servables(model_dir)
        servables.preload()
        sink = Sink(servables, writer, args.pair_timeout)
        try:
            uvicorn.run(
                create_app(sink, args.max_body_bytes),
                host=args.host,
                port=args.port,
                log_level="warning",
            )
        finally:
            writer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
