"""The payload sink with real CloudEvents over HTTP, as KServe's request logger sends them: a
request event and a response event with the same id become the very record the server itself
writes for that request."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cloudevents.http import CloudEvent, to_binary, to_structured
from serving_helpers import MAIN, Served, Setup

from vigia.payloads import hashed_id, read_payloads

REQUEST = "org.kubeflow.serving.inference.request"
RESPONSE = "org.kubeflow.serving.inference.response"


def event(kind: str, event_id: str, data: Any, moment: datetime) -> CloudEvent:
    return CloudEvent(
        {
            "id": event_id,
            "type": kind,
            "source": "http://localhost:9081/",
            "time": moment.isoformat(),
            "inferenceservicename": MAIN,
            "namespace": "vigia",
            "component": "predictor",
            "endpoint": "default",
            "datacontenttype": "application/json",
        },
        data,
    )


def post(sink: Served, cloud_event: CloudEvent, structured: bool = False) -> httpx.Response:
    headers, body = (to_structured if structured else to_binary)(cloud_event)
    return httpx.post(sink.http + "/", headers=headers, content=body, timeout=60)


def wait_record(folder: Path, request_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        records, _ = read_payloads(folder)
        found = [r for r in records if r["request_id"] == hashed_id(request_id)]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(f"no payload record {request_id} in {folder}")


def test_sink_writes_the_same_record_as_the_server(
    server: Served, sink: Served, setup: Setup
) -> None:
    request = {
        "instances": [
            {"region": "PIURA"},
            {"region": "LORETO", "week_start": "2022-11-27", "history": [5.0] * 10},
        ]
    }
    reply = httpx.post(
        server.url(f"/v1/models/{MAIN}:predict"),
        json=request,
        headers={"x-request-id": "sink-v1"},
    )
    assert reply.status_code == 200
    sent = datetime.now(UTC)
    # The response may arrive first: the sink pairs them by id either way.
    first = post(sink, event(RESPONSE, "sink-v1", reply.json(), sent + timedelta(milliseconds=7)))
    assert first.json() == {"status": "pending"}
    second = post(sink, event(REQUEST, "sink-v1", request, sent))
    assert second.json() == {"status": "logged"}

    sink_folder = setup.ws.root.parent / "sink-payloads" / MAIN
    from_sink = wait_record(sink_folder, "sink-v1")
    from_server = wait_record(setup.ws.payload_logs / MAIN, "sink-v1")
    for key in ("model", "version", "kind", "protocol", "inputs", "outputs"):
        assert from_sink[key] == from_server[key], key
    assert from_sink["latency_ms"] == 7.0


def test_sink_v2_structured_and_bad_events(server: Served, sink: Served, setup: Setup) -> None:
    request = {
        "inputs": [{"name": "region", "datatype": "BYTES", "shape": [1], "data": ["TUMBES"]}]
    }
    reply = httpx.post(server.url(f"/v2/models/{MAIN}/infer"), json=request)
    assert reply.status_code == 200
    now = datetime.now(UTC)
    assert post(sink, event(REQUEST, "sink-v2", request, now), structured=True).status_code == 200
    assert post(sink, event(RESPONSE, "sink-v2", reply.json(), now), structured=True).json() == {
        "status": "logged"
    }
    record = wait_record(setup.ws.root.parent / "sink-payloads" / MAIN, "sink-v2")
    assert record["protocol"] == "v2" and record["version"] == 1
    assert record["inputs"][0]["region"] == "TUMBES"
    assert record["inputs"][0]["history_source"] == "model"

    # A rejected request (the response is an error) is not a prediction: not logged.
    bad = {"instances": [{"region": "ATLANTIS"}]}
    error = {"error": "instances[0]: unknown region 'ATLANTIS'"}
    post(sink, event(REQUEST, "sink-bad", bad, now))
    assert post(sink, event(RESPONSE, "sink-bad", error, now)).json() == {"status": "skipped"}

    # Not a CloudEvent, or not an inference event: 400 with a message.
    plain = httpx.post(sink.http + "/", json={"instances": []})
    assert plain.status_code == 400 and "not a CloudEvent" in plain.json()["error"]
    other = event("com.example.other", "x", {}, now)
    assert post(sink, other).status_code == 400
    metrics = httpx.get(sink.http + "/metrics").text
    assert 'vigia_sink_requests_total{outcome="logged"}' in metrics


def test_unpaired_events_expire(setup: Setup, tmp_path: Path) -> None:
    from prometheus_client import REGISTRY

    from vigia.payloads import PayloadWriter
    from vigia.serving.sink import Event, Servables, Sink

    def unpaired() -> float:
        found = REGISTRY.get_sample_value("vigia_sink_requests_total", {"outcome": "unpaired"})
        return found or 0.0

    writer = PayloadWriter(tmp_path)
    sink = Sink(Servables(setup.ws.models), writer, pair_timeout=0.0)
    expired = unpaired()
    half = Event({"instances": [{"region": "PIURA"}]}, None, time.monotonic() - 1)
    assert sink.receive("lonely", REQUEST, half) == "pending"
    later = Event({"instances": [{"region": "PIURA"}]}, None, time.monotonic())
    assert sink.receive("other", REQUEST, later) == "pending"  # expires "lonely"
    assert unpaired() == expired + 1
    writer.close()
    assert read_payloads(tmp_path) == ([], 0)
