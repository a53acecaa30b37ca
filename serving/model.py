"""One ``kserve.Model`` for every Vigía model: V1, V2 and gRPC, hot swap, payload logging.

The model being served is a :class:`Live` (a servable and its version). A request reads
``self.live`` once and uses that object to the end, so swapping the reference (after the new
version has loaded beside the old one) never disturbs a request in flight.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from kserve import Model
from kserve.protocol.infer_type import InferOutput, InferRequest, InferResponse

from vigia.errors import VigiaError
from vigia.payloads import PayloadWriter, now_iso, payload_record
from vigia.registry.checksums import has_checksums, verify_checksums
from vigia.servables.base import Servable, Tensor
from vigia.servables.errors import InvalidRequest, bounded
from vigia.servables.kinds import load_servable
from vigia.serving import metrics
from vigia.serving.errors import PredictionFailed, RequestRejected
from vigia.serving.sources import ModelSource

log = logging.getLogger("vigia.serving")


@dataclass(frozen=True)
class Live:
    """A loaded version: what requests are answered with."""

    servable: Servable
    version: int
    folder: Path


class VigiaModel(Model):
    """Serves one named Vigía model of any kind (see :mod:`vigia.servables.kinds`).

    Args:
        name: The model name in URLs (``/v1/models/NAME:predict``).
        source: Where versions come from.
        payloads: Payload-log writer, or None to log nothing.
        max_rows: Largest number of rows per request.
    """

    def __init__(
        self,
        name: str,
        source: ModelSource,
        payloads: PayloadWriter | None = None,
        max_rows: int = 1000,
    ) -> None:
        super().__init__(name)
        self.source = source
        self.payloads = payloads
        self.max_rows = max_rows
        self.live: Live | None = None
        self._swap_lock = threading.Lock()
        self._failed: tuple[int, int] | None = None  # (version, pointer stamp) that failed
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    # --- loading and hot swap --------------------------------------------------------------
    def _load_version(self, version: int, folder: Path) -> Live:
        """Verify the checksums, load, and answer the canned request for every region (which
        also builds every lazy session): a version that cannot answer never goes live.
        Raises :class:`VigiaError` with the reason, whatever broke."""
        try:
            if has_checksums(folder):
                verify_checksums(folder)
            servable = load_servable(folder)
            servable.version = version
            servable.max_rows = self.max_rows
            servable.warm()
        except VigiaError:
            raise
        except Exception as exc:
            detail = " ".join(str(exc).split())[:300]  # one line (XGBoost adds a backtrace)
            raise VigiaError(
                f"{folder}: does not load or answer ({type(exc).__name__}: {detail})"
            ) from None
        return Live(servable, version, folder)

    def load(self) -> bool:
        """Load the current version; ``ready`` becomes True. If it is broken, serve the newest
        other version that loads (one log line, ``vigia_model_fallback_version``); raises
        :class:`VigiaError` if none does."""
        version, folder = self.source.current()
        try:
            self.live = self._load_version(version, folder)
            metrics.FALLBACK_VERSION.labels(self.name).set(0)
        except VigiaError as exc:
            self.live = self._fallback(version, exc)
        metrics.set_live_version(self.name, self.live.version)
        log.info("%s: serving version %d from %s", self.name, self.live.version, self.live.folder)
        self.ready = True
        return True

    def _fallback(self, broken: int, error: VigiaError) -> Live:
        metrics.LOAD_FAILURES.labels(self.name).inc()
        for version, folder in self.source.fallbacks(broken):
            try:
                live = self._load_version(version, folder)
            except VigiaError:
                metrics.LOAD_FAILURES.labels(self.name).inc()
                continue
            log.error(
                "%s: current version %d is broken (%s); serving version %d, the newest that loads",
                self.name, broken, " ".join(str(error).split())[:500], version,
            )  # fmt: skip
            metrics.FALLBACK_VERSION.labels(self.name).set(version)
            self._failed = (broken, self.source.pointer_stamp())
            return live
        raise VigiaError(f"{self.name}: version {broken} is broken and no other version loads: "
                         f"{error}")  # fmt: skip

    def refresh(self) -> bool:
        """Swap to the store's current version if it changed; True if a swap happened.

        The new version loads beside the old one; requests keep using the old one until the
        reference is replaced. A version that fails to load is logged, counted and skipped
        (the old one stays live) until ``CURRENT`` is rewritten.
        """
        with self._swap_lock:
            stamp = self.source.pointer_stamp()
            version, folder = self.source.current()
            live = self.live
            if live is not None and version == live.version and folder == live.folder:
                return False
            if self._failed == (version, stamp):
                return False
            started = time.perf_counter()
            try:
                new = self._load_version(version, folder)
            except Exception as exc:  # keep serving the old version whatever went wrong
                self._failed = (version, stamp)
                metrics.LOAD_FAILURES.labels(self.name).inc()
                log.error("%s: version %d failed to load, still serving %s: %s",
                          self.name, version, live and live.version, exc)  # fmt: skip
                return False
            self.live = new
            self._failed = None
            metrics.FALLBACK_VERSION.labels(self.name).set(0)
            metrics.SWAPS.labels(self.name).inc()
            metrics.set_live_version(self.name, version)
            log.info("%s: now serving version %d (was %s; loaded in %.2fs)",
                     self.name, version, live and live.version,
                     time.perf_counter() - started)  # fmt: skip
            return True

    async def healthy(self) -> bool:
        """Ready only with a loaded version (an operator's unload makes it not ready)."""
        return bool(self.ready and self.live is not None)

    def watch(self, interval: float) -> None:
        """Poll the store's ``CURRENT`` every ``interval`` seconds in a daemon thread."""
        if not self.source.watchable or interval <= 0 or self._watcher is not None:
            return

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.refresh()
                except VigiaError as exc:  # e.g. CURRENT removed: keep the live version
                    log.warning("%s: %s", self.name, exc)
                except Exception:
                    log.exception("%s: store watcher error (still serving)", self.name)

        self._watcher = threading.Thread(target=loop, name=f"watch-{self.name}", daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        super().stop()

    # --- metadata ----------------------------------------------------------------------------
    def _current(self) -> Live:
        live = self.live
        if live is None:
            raise VigiaError(f"model {self.name} is not loaded")
        return live

    def get_input_types(self) -> list[dict[str, Any]]:
        return [spec.metadata() for spec in self._current().servable.inputs]

    def get_output_types(self) -> list[dict[str, Any]]:
        return [spec.metadata() for spec in self._current().servable.outputs]

    def metadata_extra(self) -> dict[str, Any]:
        """What V2 model metadata adds for this model: live version and platform."""
        live = self._current()
        return {"versions": [str(live.version)], "platform": f"vigia-{live.servable.kind}"}

    # --- prediction --------------------------------------------------------------------------
    def predict(
        self, payload: dict[str, Any] | InferRequest, headers: dict[str, str] | None = None
    ) -> dict[str, Any] | InferResponse:
        started = time.perf_counter()
        live = self._current()
        servable = live.servable
        request_id = (headers or {}).get("x-request-id") or uuid.uuid4().hex
        protocol = "v1"
        if isinstance(payload, InferRequest):
            protocol = "grpc" if payload.from_grpc else "v2"
            request_id = payload.id or request_id
        try:
            if isinstance(payload, InferRequest):
                wanted = _check_requested_outputs(payload, servable)
                batch = servable.parse_v2(servable.check_v2(_tensors(payload)))
            else:
                batch = servable.parse_v1(_json_body(payload))
            result = servable.predict(batch)
            if isinstance(payload, InferRequest):
                response: dict[str, Any] | InferResponse = InferResponse(
                    response_id=request_id,
                    model_name=self.name,
                    model_version=str(live.version),
                    infer_outputs=[
                        _infer_output(t, raw=payload.from_grpc)
                        for t in servable.v2_outputs(batch, result)
                        if not wanted or t.name in wanted
                    ],
                    use_binary_outputs=payload.use_binary_outputs,
                    requested_outputs=payload.request_outputs,
                )
            else:
                response = {
                    "model_name": self.name,
                    "model_version": str(live.version),  # a string, as in V2 and gRPC
                    "predictions": servable.v1_predictions(batch, result),
                }
        except InvalidRequest as exc:
            metrics.count_error(self.name, exc.kind)
            log.warning("%s: rejected request %s: %s", self.name, request_id, exc)
            raise RequestRejected(exc) from None
        except Exception as exc:
            metrics.count_error(self.name, "internal")
            log.exception("%s: prediction failed for request %s", self.name, request_id)
            raise PredictionFailed(
                f"internal error while predicting (request id {request_id}); see the server log"
            ) from exc
        seconds = time.perf_counter() - started
        rows = len(batch)
        version = str(live.version)
        metrics.REQUESTS.labels(self.name, version, protocol).inc()
        metrics.PREDICTED_ROWS.labels(self.name, version).inc(rows)
        metrics.ROWS_PER_REQUEST.labels(self.name).observe(rows)
        metrics.HANDLER_SECONDS.labels(self.name, protocol).observe(seconds)
        if self.payloads is not None:
            self.payloads.submit(
                self.name,
                _record_builder(self.name, live, protocol, request_id, seconds, batch, result),
            )
        return response


def _record_builder(
    name: str,
    live: Live,
    protocol: str,
    request_id: str,
    seconds: float,
    batch: Any,
    result: Any,
) -> Any:
    """A function the payload writer calls on its own thread to build the record."""
    ts = now_iso()

    def build() -> dict[str, Any]:
        inputs, outputs = live.servable.payload_rows(batch, result)
        return payload_record(
            ts=ts,
            request_id=request_id,
            model=name,
            version=live.version,
            kind=live.servable.kind,
            protocol=protocol,
            latency_ms=seconds * 1000,
            inputs=inputs,
            outputs=outputs,
            features=live.servable.declared_fields,
        )

    return build


def _infer_output(tensor: Tensor, raw: bool) -> InferOutput:
    """A response tensor. gRPC answers carry raw bytes (``raw_output_contents``): KServe's
    ``to_grpc`` cannot take a numpy array as ``data`` (it tests the array's truth value), so the
    bytes are set here; V2 over HTTP encodes ``data`` as JSON or binary as the client asked."""
    output = InferOutput(tensor.name, tensor.shape, tensor.datatype, data=tensor.data)
    if raw:
        output.set_data_from_numpy(np.asarray(tensor.data), binary_data=True)
    return output


def _json_body(payload: Any) -> Any:
    """A V1 body KServe left undecoded (a content type other than JSON) parsed as JSON."""
    if not isinstance(payload, bytes | str):
        return payload
    try:
        return json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidRequest("malformed", f"request body is not valid JSON ({exc})") from None
    except RecursionError:
        raise InvalidRequest("malformed", "request body is nested too deeply") from None


def _tensors(request: InferRequest) -> list[Tensor]:
    """The request's inputs, decoded lazily (the servable checks names and datatypes first)."""
    return [
        Tensor(item.name, item.datatype, list(item.shape), loader=item.as_numpy)
        for item in request.inputs
    ]


def _check_requested_outputs(request: InferRequest, servable: Servable) -> set[str]:
    """The names of the outputs the request asks for (empty: all of them)."""
    known = [spec.name for spec in servable.outputs]
    wanted = {str(item.name) for item in request.request_outputs or []}
    for name in sorted(wanted):
        if name not in known:
            raise InvalidRequest(
                "unknown_field",
                f"unknown output {bounded(name)!r}; outputs are {', '.join(known)}",
            )
    return wanted
