"""Hot swap and rollback under continuous load: a new approved version is pushed through the
real registry and model store while clients keep calling, then ``vigia models rollback`` makes
the previous one live again. No request may fail, and the answers switch version."""

from __future__ import annotations

import itertools
import threading
import time

import httpx
from serving_helpers import OPERATOR_TOKEN, SWAP, Served, Setup

from vigia.registry.lifecycle import rollback
from vigia.registry.store import ModelStore
from vigia.training import push_approved

V1 = f"/v1/models/{SWAP}:predict"
V2 = f"/v2/models/{SWAP}/infer"
V2_BODY = {"inputs": [{"name": "region", "datatype": "BYTES", "shape": [1], "data": ["PIURA"]}]}


class Load:
    """Clients that call the server without pause, recording (status, version, median)."""

    def __init__(self, server: Served) -> None:
        self.server = server
        self.stopping = threading.Event()
        self.results: dict[str, list[tuple[int | None, object, object]]] = {"v1": [], "v2": []}
        self.threads = [
            threading.Thread(target=self._run, args=(protocol,), daemon=True)
            for protocol in self.results
        ]

    def _run(self, protocol: str) -> None:
        out = self.results[protocol]
        with httpx.Client(base_url=self.server.http, timeout=60) as http:
            while not self.stopping.is_set():
                try:
                    if protocol == "v1":
                        reply = http.post(V1, json={"instances": [{"region": "PIURA"}]})
                        body = reply.json()
                        version = int(body.get("model_version", -1))
                        median = body.get("predictions", [{}])[0].get("median")
                    else:
                        reply = http.post(V2, json=V2_BODY)
                        body = reply.json()
                        version = int(body.get("model_version", -1))
                        median = next(
                            (o["data"] for o in body.get("outputs", []) if o["name"] == "median"),
                            None,
                        )
                    out.append((reply.status_code, version, median))
                except httpx.HTTPError as exc:
                    out.append((None, repr(exc), None))

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def wait_for(self, version: int, answers: int = 5, timeout: float = 300.0) -> None:
        """Until every client got ``answers`` answers in a row from ``version``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if all(
                len(r) >= answers and all(v == version for _, v, _ in r[-answers:])
                for r in self.results.values()
            ):
                return
            time.sleep(0.05)
        raise AssertionError(f"still not serving version {version} after {timeout}s")


def test_push_and_rollback_under_load_fail_no_request(server: Served, setup: Setup) -> None:
    ws = setup.ws
    assert ModelStore(ws.models).current(SWAP) == 1
    with Load(server) as load:
        load.wait_for(1)
        push_approved(setup.swap_v2_bundle, setup.swap_v2_decision, SWAP, 2, ws.models,
                      ws.tracking_uri)  # fmt: skip
        load.wait_for(2)
        rolled = rollback(ws, SWAP)  # what `vigia models rollback --name dengue-swap` runs
        assert (rolled.from_version, rolled.to_version) == (2, 1)
        assert ModelStore(ws.models).current(SWAP) == 1
        # The repository "load" endpoint swaps at once, without waiting for the watcher.
        loaded = httpx.post(
            server.url(f"/v2/repository/models/{SWAP}/load"),
            headers={"authorization": f"Bearer {OPERATOR_TOKEN}"},
        )
        assert loaded.status_code == 200, loaded.text
        reply = httpx.post(server.url(V1), json={"instances": [{"region": "PIURA"}]})
        assert reply.json()["model_version"] == "1"
        load.wait_for(1)

    for protocol, results in load.results.items():
        failures = [r for r in results if r[0] != 200]
        assert not failures, f"{protocol}: {len(failures)} failed requests, e.g. {failures[:3]}"
        versions = [version for _, version, _ in results]
        assert [v for v, _ in itertools.groupby(versions)] == [1, 2, 1], protocol
        medians = {version: median for _, version, median in results}
        assert medians[1] != medians[2], "versions 1 and 2 answered alike"
    metadata = httpx.get(server.url(f"/v2/models/{SWAP}")).json()
    assert metadata["versions"] == ["1"]
    metrics = httpx.get(server.url("/metrics")).text
    assert f'vigia_model_swaps_total{{model="{SWAP}"}} 2.0' in metrics
