"""KServe logger events → payload records, wherever the two halves meet.

KServe's logger posts a request event and a response event (same id) per prediction. A sink
replica that receives both pairs them at once (:func:`rebuild`). With several replicas the two
halves may land on different ones: a half whose partner does not arrive within the pair timeout
is written as a *half record* (:func:`half_record`, identifiers removed) into finished objects
``<payload root>/<model>/halves-*.jsonl``, and the reader pairs halves from every replica and
rebuilds them with the same code (:func:`read_logged`). So no record depends on which replica got
which half, and monitoring reads one list of records either way.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError
from vigia.models.bundle import MANIFEST, read_manifest
from vigia.payloads import (
    encode_record,
    hashed_id,
    log_files,
    payload_record,
    read_payloads,
    utc_moment,
)
from vigia.privacy import loggable
from vigia.registry.store import ModelStore
from vigia.servables.base import Servable, json_tensor
from vigia.servables.errors import InvalidRequest
from vigia.servables.kinds import load_servable

REQUEST_EVENT = "org.kubeflow.serving.inference.request"
RESPONSE_EVENT = "org.kubeflow.serving.inference.response"
HALVES_PREFIX = "halves"


@dataclass
class Event:
    """Half of a logged request: the request or the response body, with its send time."""

    body: Any
    time: datetime | None
    received: float


class Servables:
    """Servables by (model name, version), loaded on first use from a store or one bundle."""

    def __init__(self, model_dir: Path) -> None:
        self.model_dir = Path(model_dir)
        self.store = None if (self.model_dir / MANIFEST).exists() else ModelStore(self.model_dir)
        self._loaded: dict[tuple[str, int], Servable] = {}
        self._lock = threading.Lock()

    def wanted(self) -> list[tuple[str, int]]:
        """What the predictors most likely serve now: the store's current versions (or the
        bundle, as version -1)."""
        if self.store is None:
            return [(str(read_manifest(self.model_dir).get("name") or ""), -1)]
        return [(name, self.store.current(name) or -1) for name in self.store.names()]

    def declared(self, name: str) -> set[str]:
        """The request fields ``name``'s current version declares (kept in a half record even
        when named like an identifier); empty when it does not load."""
        version = self.store.current(name) if self.store is not None else None
        try:
            return set(self.get(name, version if version is not None else -1).declared_fields)
        except (VigiaError, OSError):
            return set()

    def get(self, name: str, version: int) -> Servable:
        """The servable of ``name`` at ``version`` (a bundle folder serves every version)."""
        key = (name, version if self.store is not None else -1)
        with self._lock:
            if key not in self._loaded:
                folder = self.model_dir
                if self.store is not None:
                    folder = self.store.version_dir(name, version)
                    if not folder.is_dir():
                        raise VigiaError(f"{name} version {version} is not in {self.model_dir}")
                self._loaded[key] = load_servable(folder)
            return self._loaded[key]


Rebuilt = tuple[str, str | None, Callable[[], dict[str, Any]] | None]


def rebuild(event_id: str, request: Event, response: Event, servables: Servables) -> Rebuilt:
    """``(outcome, model, build)``: ``logged`` with the model's name and a function that builds
    the payload record, or ``not_a_prediction`` (an error answer: not logged) / ``undecodable``."""
    body, answer = request.body, response.body
    if not isinstance(answer, dict) or "error" in answer or "model_name" not in answer:
        return "not_a_prediction", None, None
    try:
        name = str(answer["model_name"])
        version = int(answer.get("model_version") or 0)
        servable = servables.get(name, version)
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
    except (InvalidRequest, VigiaError, KeyError, TypeError, ValueError):
        return "undecodable", None, None
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

    return "logged", name, build


def _strip(body: Any, declared: set[str]) -> Any:
    """A request body without identifier-like fields (V1 instance keys, V2 input tensors)."""
    if not isinstance(body, dict):
        return body
    out = dict(body)
    if isinstance(out.get("instances"), list):
        out["instances"] = [
            {k: v for k, v in row.items() if loggable(str(k), declared)}
            if isinstance(row, dict) else row
            for row in out["instances"]
        ]  # fmt: skip
    if isinstance(out.get("inputs"), list):
        out["inputs"] = [
            t for t in out["inputs"]
            if not isinstance(t, dict) or loggable(str(t.get("name")), declared)
        ]  # fmt: skip
    return out


def half_record(
    event_id: str, half: str, event: Event, declared: set[str] | None = None
) -> dict[str, Any]:
    """What the sink writes for a half whose partner it did not get: hashed id, which half, its
    time and its body (identifier fields removed, as in every payload record)."""
    return {
        "request_id": hashed_id(event_id),
        "half": half,
        "time": event.time.isoformat() if event.time else None,
        "body": _strip(event.body, declared or set()),
    }


def _read_halves(
    folder: Path, start: datetime | None, end: datetime | None
) -> list[dict[str, Any]]:
    slack = timedelta(hours=1)  # a response a little after the window still pairs
    lo = start - slack if start is not None else None
    hi = end + slack if end is not None else None
    halves = []
    for path in log_files(folder, lo, hi, prefix=HALVES_PREFIX):
        for raw in path.read_bytes().splitlines():
            try:
                half = json.loads(raw)
                moment = utc_moment(half["time"]) if half.get("time") else None
            except (ValueError, KeyError, TypeError):
                continue
            if moment is not None and (
                (lo is not None and moment < lo) or (hi is not None and moment >= hi)
            ):
                continue
            halves.append(half)
    return halves


def read_logged(
    folder: str | Path,
    model_dir: str | Path | None,
    start: str | datetime | None = None,
    end: str | datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """:func:`vigia.payloads.read_payloads` plus the records rebuilt from halves written by
    different sink replicas (paired here by id; needs the model store ``model_dir``).
    ``skipped`` also counts pairs that could not be rebuilt; a half whose partner is not
    written yet (another replica's open batch) is left for a later read, not counted."""
    records, skipped = read_payloads(folder, start, end)
    root = Path(folder)
    lo = utc_moment(start) if start is not None else None
    hi = utc_moment(end) if end is not None else None
    halves = _read_halves(root, lo, hi) if root.is_dir() and model_dir is not None else []
    if not halves or model_dir is None:
        return records, skipped
    pairs: dict[str, dict[str, dict[str, Any]]] = {}
    for half in halves:
        pairs.setdefault(str(half.get("request_id")), {})[str(half.get("half"))] = half
    known = {r["request_id"] for r in records}
    servables = Servables(Path(model_dir))
    extra = []
    for request_id, both in pairs.items():
        if request_id in known:
            continue
        if set(both) != {"request", "response"}:
            continue
        events = {
            half: Event(both[half]["body"],
                        utc_moment(both[half]["time"]) if both[half].get("time") else None, 0.0)
            for half in both
        }  # fmt: skip
        outcome, _, build = rebuild(request_id, events["request"], events["response"], servables)
        if build is None:
            skipped += outcome != "not_a_prediction"
            continue
        record = json.loads(encode_record(build())[0])  # as a writer would store it
        moment = utc_moment(str(record["ts"]))
        if (lo is None or moment >= lo) and (hi is None or moment < hi):
            extra.append((moment, record))
    merged = [(utc_moment(str(r["ts"])), r) for r in records] + extra
    merged.sort(key=lambda pair: pair[0])
    return [r for _, r in merged], skipped
