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


def test_two_replicas_each_with_one_half_still_give_one_record(
    server: Served, setup: Setup, tmp_path: Path
) -> None:
    """Request and response reach different sink replicas: each writes its half as a finished
    object after the pair timeout, and the reader pairs them into the record the server wrote."""
    from vigia.payloads import PayloadWriter
    from vigia.servables.events import HALVES_PREFIX, read_logged
    from vigia.serving.sink import Event, Servables, Sink

    request = {"instances": [{"region": "PIURA"}, {"region": "TUMBES"}]}
    reply = httpx.post(server.url(f"/v1/models/{MAIN}:predict"), json=request,
                       headers={"x-request-id": "two-replicas"})  # fmt: skip
    assert reply.status_code == 200
    sent = datetime.now(UTC)
    replicas = []
    for _ in range(2):
        writer = PayloadWriter(tmp_path, batch_seconds=0.2)
        halves = PayloadWriter(tmp_path, batch_seconds=0.2, prefix=HALVES_PREFIX)
        replicas.append((Sink(Servables(setup.ws.models), writer, 0.0, halves), writer, halves))
    a, b = replicas[0][0], replicas[1][0]
    assert a.receive("two-replicas", REQUEST, Event(request, sent, time.monotonic()), MAIN) == (
        "pending"
    )
    answer = Event(reply.json(), sent + timedelta(milliseconds=5), time.monotonic())
    assert b.receive("two-replicas", RESPONSE, answer, MAIN) == "pending"
    for sink, writer, halves in replicas:  # shutting down: nothing stays in memory
        sink.close()
        writer.close()
        halves.close()
    objects = sorted(p.name for p in (tmp_path / MAIN).iterdir())
    assert len(objects) == 2 and all(n.startswith("halves-") for n in objects), objects
    assert not [n for n in objects if n.startswith(".")]  # no temporary left
    assert read_payloads(tmp_path / MAIN) == ([], 0)  # the halves are not records yet
    records, skipped = read_logged(tmp_path / MAIN, setup.ws.models)
    assert skipped == 0 and len(records) == 1
    from_server = wait_record(setup.ws.payload_logs / MAIN, "two-replicas")
    for key in ("request_id", "model", "version", "kind", "protocol", "inputs", "outputs"):
        assert records[0][key] == from_server[key], key
    assert records[0]["latency_ms"] == 5.0


def test_object_mode_writes_finished_files_and_never_appends(tmp_path: Path) -> None:
    from vigia.payloads import PayloadWriter, payload_record

    writer = PayloadWriter(tmp_path, batch_seconds=0.3)

    def record(i: int) -> dict[str, Any]:
        return payload_record(
            request_id=f"r{i}", model="m", version=1, kind="forecaster", protocol="v1",
            latency_ms=1.0, inputs=[{"x": i}], outputs=[],
        )  # fmt: skip

    for i in range(3):
        writer.submit("m", record(i))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not list((tmp_path / "m").glob("payloads-*.jsonl")):
        time.sleep(0.05)
    first = sorted((tmp_path / "m").glob("payloads-*.jsonl"))
    assert len(first) == 1
    content = first[0].read_bytes()
    for i in range(3, 5):
        writer.submit("m", record(i))
    writer.close()
    files = sorted((tmp_path / "m").glob("payloads-*.jsonl"))
    assert len(files) == 2 and files[0].read_bytes() == content  # the first was not touched
    records, skipped = read_payloads(tmp_path / "m")
    assert skipped == 0 and [r["inputs"][0]["x"] for r in records] == [0, 1, 2, 3, 4]


def test_a_waiting_half_is_written_by_the_sweep_without_identifiers(
    setup: Setup, tmp_path: Path
) -> None:
    """A quiet replica writes a half once it waited the pair timeout (no later event needed);
    the half keeps what the model takes and drops identifier-like fields, as records do."""
    import json

    from vigia.payloads import PayloadWriter
    from vigia.servables.events import HALVES_PREFIX, half_record
    from vigia.serving.sink import Event, Servables, Sink

    halves = PayloadWriter(tmp_path, batch_seconds=0.1, prefix=HALVES_PREFIX)
    writer = PayloadWriter(tmp_path, batch_seconds=0.1)
    sink = Sink(Servables(setup.ws.models), writer, 0.5, halves)
    row = {"region": "PIURA", "patient_name": "Ana", "history_id": 7}
    half = Event({"instances": [row]}, datetime.now(UTC), time.monotonic())
    assert sink.receive("MRN-123", REQUEST, half, MAIN) == "pending"
    sink.sweep()  # not waited long enough yet
    time.sleep(0.6)
    sink.sweep()
    halves.close()
    writer.close()
    files = list((tmp_path / MAIN).glob(f"{HALVES_PREFIX}-*.jsonl"))
    assert len(files) == 1
    text = files[0].read_text(encoding="utf-8")
    written = json.loads(text)
    assert written["request_id"] == hashed_id("MRN-123") and written["half"] == "request"
    assert written["body"] == {"instances": [{"region": "PIURA"}]}
    assert "MRN-123" not in text and "Ana" not in text
    declared = half_record("x", "request", half, {"history_id"})  # a feature the model takes
    assert declared["body"]["instances"] == [{"region": "PIURA", "history_id": 7}]
