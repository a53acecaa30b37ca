"""Monitoring reads what several payload-sink replicas wrote: each replica got one half of every
request (KServe's logger posted the request to one, the response to the other), each wrote its
halves as finished objects, and the check pairs them when it reads the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd

from vigia.monitor.collect import collect
from vigia.monitor.config import MonitorConfig
from vigia.monitor.paths import MonitorPaths
from vigia.monitor.replay import weekly_request
from vigia.payloads import PayloadWriter, read_payloads
from vigia.registry.store import ModelStore
from vigia.servables.events import HALVES_PREFIX, REQUEST_EVENT, RESPONSE_EVENT, Event, Servables
from vigia.servables.kinds import load_servable
from vigia.serving.sink import Sink
from vigia.workspace import Workspace

MODEL = "dengue-forecast"
WEEKS = [pd.Timestamp("2021-12-26") + pd.Timedelta(weeks=k) for k in range(1, 5)]


def test_a_check_pairs_the_halves_two_sink_replicas_wrote(
    monitored_workspace: Workspace, peru_panel: pd.DataFrame
) -> None:
    ws = monitored_workspace
    servable = load_servable(ModelStore(ws.models).current_dir(MODEL))
    replicas = []
    for _ in range(2):
        writer = PayloadWriter(ws.payload_logs, batch_seconds=0.2)
        halves = PayloadWriter(ws.payload_logs, batch_seconds=0.2, prefix=HALVES_PREFIX)
        replicas.append((Sink(Servables(ws.models), writer, 60.0, halves), writer, halves))
    (gets_requests, _, _), (gets_responses, _, _) = replicas
    sent = datetime.now(UTC) - timedelta(minutes=5)
    for i, week in enumerate(WEEKS):
        body = weekly_request(peru_panel, week)
        batch = servable.parse_v1(body)
        answer = {
            "model_name": MODEL,
            "model_version": str(servable.version),
            "predictions": servable.v1_predictions(batch, servable.predict(batch)),
        }
        at = sent + timedelta(seconds=i)
        request = Event(body, at, 0.0)
        response = Event(answer, at + timedelta(milliseconds=3), 0.0)
        assert gets_requests.receive(f"week-{i}", REQUEST_EVENT, request, MODEL) == "pending"
        assert gets_responses.receive(f"week-{i}", RESPONSE_EVENT, response, MODEL) == "pending"
    for sink, writer, halves in replicas:  # the replicas stop: their halves are written
        sink.close()
        writer.close()
        halves.close()

    folder = ws.payload_logs / MODEL
    assert read_payloads(folder) == ([], 0)  # no replica could write a whole record
    assert len(list(folder.glob(f"{HALVES_PREFIX}-*.jsonl"))) == 2
    data = collect(MonitorPaths.from_workspace(ws), MODEL, MonitorConfig(min_scored=20))
    logged = data.logged
    assert logged.requests == len(WEEKS) and logged.skipped_lines == 0
    assert len(logged) == 21 * len(WEEKS)  # every region, every week
    assert data.as_of == WEEKS[-1]
    assert set(logged.inputs["origin"]) == set(WEEKS)
