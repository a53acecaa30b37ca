"""``python -m vigia.serving.sink``: the payload-log sink for KServe's request logger.

On a cluster the InferenceService's ``logger`` (``mode: all``) posts two CloudEvents per
request to this service: ``org.kubeflow.serving.inference.request`` and
``…inference.response``, with the same ``ce-id``. The sink pairs them, rebuilds the rows the
model saw and answered with the same servable code the predictor uses
(:mod:`vigia.servables.events`), and writes one record per request with the same
:class:`~vigia.payloads.PayloadWriter` — on object storage as finished files, one per
``--batch-seconds``, never appended. A half whose partner went to another replica is written as
a half record after ``--pair-timeout`` and paired when the log is read, so any number of
replicas can run.

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
from datetime import datetime
from pathlib import Path
from typing import Any

from cloudevents.exceptions import GenericException
from cloudevents.http import from_http
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from vigia.errors import VigiaError, exit_on_user_error
from vigia.payloads import PayloadWriter
from vigia.servables.events import (
    HALVES_PREFIX,
    REQUEST_EVENT,
    RESPONSE_EVENT,
    Event,
    Servables,
    half_record,
    rebuild,
)
from vigia.serving.options import add_retention_options, retention_from
from vigia.serving.runtime import limit_math_threads

log = logging.getLogger("vigia.serving.sink")

EVENTS = Counter("vigia_sink_events", "CloudEvents received", ["type"])
OUTCOMES = Counter("vigia_sink_requests", "Logged requests by outcome", ["outcome"])


class Sink:
    """Pairs request and response events by id and writes payload records; a half whose
    partner has not arrived after ``pair_timeout`` (another replica got it) is written to the
    ``halves`` writer, and readers pair it (:func:`vigia.servables.events.read_logged`)."""

    def __init__(
        self,
        servables: Servables,
        writer: PayloadWriter,
        pair_timeout: float,
        halves: PayloadWriter | None = None,
    ) -> None:
        self.servables = servables
        self.writer = writer
        self.halves = halves
        self.pair_timeout = pair_timeout
        self._pending: dict[tuple[str, str], tuple[str, Event]] = {}
        self._lock = threading.Lock()

    def receive(self, event_id: str, event_type: str, event: Event, model: str = "") -> str:
        """Take one event (``model``: the InferenceService that sent it, if known); returns what
        happened (``pending``, ``logged``, ``skipped``). A half is filed under the
        InferenceService's name, which both halves carry (a response without it: its model)."""
        half = "request" if event_type == REQUEST_EVENT else "response"
        other = "response" if half == "request" else "request"
        if not model and isinstance(event.body, dict) and event.body.get("model_name"):
            model = str(event.body["model_name"])
        with self._lock:
            self._expire()
            found = self._pending.pop((event_id, other), None)
            if found is None:
                self._pending[(event_id, half)] = (model, event)
                return "pending"
        partner = found[1]
        request, response = (event, partner) if half == "request" else (partner, event)
        return self._log(event_id, request, response)

    def _expire(self, everything: bool = False) -> None:
        cutoff = time.monotonic() - self.pair_timeout
        expired = [k for k, (_, e) in self._pending.items() if everything or e.received < cutoff]
        for key in expired:
            model, event = self._pending.pop(key)
            if self.halves is not None and model:
                declared = self.servables.declared(model)
                self.halves.submit(model, half_record(key[0], key[1], event, declared))
                OUTCOMES.labels("half_written").inc()
            else:
                OUTCOMES.labels("unpaired").inc()

    def sweep(self) -> None:
        """Write the halves waiting longer than the pair timeout (called on a timer, so a quiet
        replica does not keep them in memory until the next event)."""
        with self._lock:
            self._expire()

    def close(self) -> None:
        """Write every half still waiting (a replica shutting down keeps nothing in memory)."""
        with self._lock:
            self._expire(everything=True)

    def _log(self, event_id: str, request: Event, response: Event) -> str:
        outcome, name, build = rebuild(event_id, request, response, self.servables)
        if build is None or name is None:
            OUTCOMES.labels(outcome).inc()  # rejected requests are not logged
            if outcome == "undecodable":
                log.warning("event %s: cannot rebuild the payload", event_id)
            return "skipped"
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
        model = str(event.get("inferenceservicename") or "")
        status = await asyncio.to_thread(sink.receive, event_id, event_type, half, model)
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
        help="a request or response whose partner has not arrived by then (another replica "
        "got it) is written as a half record, paired when the log is read",
    )
    parser.add_argument(
        "--batch-seconds",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="write what arrived in each interval as one new finished file (object storage: "
        "no appends); 0 appends to one file per day instead (a local disk)",
    )
    parser.add_argument("--max-body-bytes", type=int, default=16 * 1024 * 1024)
    add_retention_options(parser)
    return parser


def preload(servables: Servables) -> None:
    """Load what the predictors most likely serve now; a version that does not load is
    reported and loaded again on use."""
    for name, version in servables.wanted():
        try:
            servable = servables.get(name, version)
        except VigiaError as exc:
            log.warning("%s: not preloaded: %s", name, exc)
            continue
        log.info("%s: version %d preloaded", name, servable.version)


def _sweep_until(sink: Sink, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        sink.sweep()


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
        if args.batch_seconds < 0 or args.pair_timeout < 0:
            raise VigiaError("--batch-seconds and --pair-timeout must be 0 or more")
        batch = args.batch_seconds or None
        writer = PayloadWriter(args.payload_log, retention=retention_from(args),
                               batch_seconds=batch)  # fmt: skip
        halves = PayloadWriter(args.payload_log, retention=retention_from(args),
                               batch_seconds=batch or 60.0, prefix=HALVES_PREFIX)  # fmt: skip
        servables = Servables(model_dir)
        preload(servables)
        sink = Sink(servables, writer, args.pair_timeout, halves)
        stop = threading.Event()
        sweeper = threading.Thread(
            target=_sweep_until, args=(sink, stop, max(1.0, args.pair_timeout / 4)), daemon=True
        )
        sweeper.start()
        try:
            uvicorn.run(
                create_app(sink, args.max_body_bytes),
                host=args.host,
                port=args.port,
                log_level="warning",
            )
        finally:
            stop.set()
            sweeper.join()
            sink.close()
            writer.close()
            halves.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
