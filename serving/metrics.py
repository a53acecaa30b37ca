"""Vigía's Prometheus metrics, served on KServe's ``/metrics`` beside KServe's own.

Names follow Prometheus' naming guide: base units (seconds), ``_total`` on counters, one name per
idea (``vigia_model_live_version`` is also the name the monitoring runs push). Label values are
bounded: a ``model`` label is a served model's name, or ``unknown`` for a request naming any
other model (a client cannot create series).
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from vigia.payloads import PROTOCOLS, PayloadWriter

REQUESTS = Counter(
    "vigia_requests", "Prediction requests answered", ["model", "version", "protocol"]
)
PREDICTED_ROWS = Counter("vigia_predicted_rows", "Rows predicted", ["model", "version"])
ROWS_PER_REQUEST = Histogram(
    "vigia_rows_per_request",
    "Rows in one prediction request",
    ["model"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, float("inf")),
)
HANDLER_SECONDS = Histogram(
    "vigia_handler_seconds",
    "Time in the model handler: validation, prediction, response encoding",
    ["model", "protocol"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
ERRORS = Counter("vigia_request_errors", "Rejected or failed requests, by kind", ["model", "kind"])
LIVE_VERSION = Gauge("vigia_model_live_version", "Version being served", ["model"])
UNKNOWN_MODEL = "unknown"
_served: set[str] = set()
SWAPS = Counter("vigia_model_swaps", "Hot swaps to another version", ["model"])
LOAD_FAILURES = Counter(
    "vigia_model_load_failures", "Versions that failed to load (old one kept)", ["model"]
)
FALLBACK_VERSION = Gauge(
    "vigia_model_fallback_version",
    "Version served because the current one does not load (0: serving the current one)",
    ["model"],
)


def set_live_version(model: str, version: int) -> None:
    """Record the version ``model`` serves; its name becomes a known ``model`` label value."""
    _served.add(model)
    LIVE_VERSION.labels(model).set(version)
    # Series at 0 from the start, so the first requests of a new version (a canary) count in
    # Prometheus' increase()/rate() (a series born at 5 would hide those 5).
    for protocol in PROTOCOLS:
        REQUESTS.labels(model, str(version), protocol)
    ERRORS.labels(model, "internal")


def count_error(model: str, kind: str) -> None:
    """Count a rejected or failed request; a model that is not served counts as ``unknown``."""
    ERRORS.labels(model if model in _served else UNKNOWN_MODEL, kind).inc()


class PayloadWriterCollector(Collector):
    """Exposes a :class:`PayloadWriter`'s counters as ``vigia_payload_records_total{state}``."""

    def __init__(self, writer: PayloadWriter) -> None:
        self.writer = writer

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "vigia_payload_records", "Payload-log records by outcome", labels=["state"]
        )
        stats = self.writer.stats
        for state, value in (
            ("written", stats.written),
            ("dropped", stats.dropped),
            ("errors", stats.errors),
        ):
            family.add_metric([state], value)
        yield family


def watch_payload_writer(writer: PayloadWriter) -> None:
    """Register the writer's counters with the default registry (once per process)."""
    REGISTRY.register(PayloadWriterCollector(writer))
