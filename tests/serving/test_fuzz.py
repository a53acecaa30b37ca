"""Generated requests against the real server (issue 15): whatever a client sends, the answer
is never a 5xx and never a stack trace, and the server keeps serving.

Hypothesis builds V1 bodies, V2 bodies (JSON and the binary extension) and raw bytes around the
shapes the OpenAPI document (``/openapi.json``) declares for the inference routes, plus paths
the document lists with the model name and version filled in. Derandomized (the same requests
every run), no example database, no deadline; about 2,200 requests in all (counted below)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serving_helpers import MAIN, Served

V1 = f"/v1/models/{MAIN}:predict"
V2 = f"/v2/models/{MAIN}/infer"
REGIONS = ["PIURA", "LORETO", "TUMBES", "piura", "", "ATLANTIS", "A" * 300]
DATATYPES = ["BYTES", "FP32", "FP64", "INT64", "INT32", "BOOL", "UINT8", "FP16", "TEXT", ""]
SETTINGS = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)

json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
dates = st.sampled_from(
    ["2022-12-25", "2022-12-18", "9999-12-26", "0001-01-01", "2262-04-12", "1677-09-20",
     "2022-02-30", "25/12/2022", "", "2022-12-25T00:00:00"]
) | st.text(max_size=12)  # fmt: skip
counts = st.lists(
    st.floats(allow_nan=False, allow_infinity=False) | st.integers(-5, 10**9), max_size=40
)
instance = st.fixed_dictionaries(
    {},
    optional={
        "region": st.sampled_from(REGIONS) | json_value,
        "week_start": dates | json_value,
        "history": counts | json_value,
        "extra": json_value,
    },
)
v1_bodies = (
    st.fixed_dictionaries(
        {"instances": st.lists(instance, max_size=4) | json_value},
        optional={"parameters": json_value},
    )
    | json_value
)
tensor = st.fixed_dictionaries(
    {
        "name": st.sampled_from(["region", "week_start", "history", "regions", ""]),
        "datatype": st.sampled_from(DATATYPES),
        "shape": st.lists(st.integers(-2, 6), max_size=3),
        "data": st.lists(json_leaf | st.lists(json_leaf, max_size=3), max_size=8) | json_value,
    },
    optional={"parameters": json_value},
)
v2_bodies = (
    st.fixed_dictionaries(
        {"inputs": st.lists(tensor, max_size=3) | json_value},
        optional={
            "id": json_value,
            "outputs": st.lists(st.fixed_dictionaries({"name": st.text(max_size=10)}), max_size=2),
            "parameters": json_value,
        },
    )
    | json_value
)
paths = st.sampled_from(
    [V1, V2, f"/v2/models/{MAIN}", f"/v2/models/{MAIN}/ready", f"/v2/models/{MAIN}/versions/1",
     f"/v2/models/{MAIN}/versions/1/infer", f"/v2/models/{MAIN}/versions/1/ready",
     f"/v1/models/{MAIN}", "/v2/models/nope/infer", "/v1/models/nope:predict",
     f"/v2/repository/models/{MAIN}/unload", "/v2/repository/index", "/v2", "/v2/health/ready"]
)  # fmt: skip
raw_bodies = st.binary(max_size=300) | v1_bodies.map(lambda b: json.dumps(b).encode())
content_types = st.sampled_from(
    ["application/json", "text/plain", "application/octet-stream", "", "multipart/form-data"]
)


DROPPED: list[str] = []  # requests whose connection closed without an answer (then retried)


def _send(client: httpx.Client, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """One request; a connection the server closed without an answer is counted and the
    request sent again on a new connection (a second drop fails the test)."""
    try:
        return client.request(method, path, **kwargs)
    except httpx.RemoteProtocolError:
        DROPPED.append(f"{method} {path}")
        with httpx.Client(base_url=client.base_url, timeout=30) as fresh:
            return fresh.request(method, path, **kwargs)


def _check(reply: httpx.Response) -> None:
    assert reply.status_code < 500, (reply.status_code, reply.text[:500])
    assert "Traceback" not in reply.text
    if reply.status_code >= 400 and reply.headers.get("content-type", "").startswith(
        "application/json"
    ):
        assert isinstance(reply.json(), dict)


@pytest.fixture(scope="module")
def client(server: Served) -> httpx.Client:
    with httpx.Client(base_url=server.http, timeout=30) as session:
        yield session


@pytest.fixture(scope="module")
def sent() -> dict[str, int]:
    return {}


def test_fuzz_v1_bodies(client: httpx.Client, sent: dict[str, int]) -> None:
    count = 0

    @settings(SETTINGS, max_examples=700)
    @given(body=v1_bodies)
    def run(body: Any) -> None:
        nonlocal count
        count += 1
        _check(_send(client, "POST", V1, content=json.dumps(body),
                     headers={"content-type": "application/json"}))  # fmt: skip

    run()
    sent["v1"] = count
    assert count >= 650


def test_fuzz_v2_bodies_json_and_binary(client: httpx.Client, sent: dict[str, int]) -> None:
    count = 0

    @settings(SETTINGS, max_examples=700)
    @given(body=v2_bodies, tail=st.binary(max_size=40), binary=st.booleans())
    def run(body: Any, tail: bytes, binary: bool) -> None:
        nonlocal count
        count += 1
        head = json.dumps(body).encode()
        if binary:
            headers = {
                "content-type": "application/octet-stream",
                "inference-header-content-length": str(len(head)),
            }
            _check(_send(client, "POST", V2, content=head + tail, headers=headers))
        else:
            _check(_send(client, "POST", V2, content=head,
                         headers={"content-type": "application/json"}))  # fmt: skip

    run()
    sent["v2"] = count
    assert count >= 650


def test_fuzz_raw_bytes_paths_and_content_types(client: httpx.Client, sent: dict[str, int]) -> None:
    count = 0

    @settings(SETTINGS, max_examples=800)
    @given(path=paths, body=raw_bodies, kind=content_types,
           method=st.sampled_from(["POST", "POST", "GET", "PUT"]))  # fmt: skip
    def run(path: str, body: bytes, kind: str, method: str) -> None:
        nonlocal count
        count += 1
        headers = {"content-type": kind} if kind else {}
        _check(_send(client, method, path, content=body if method != "GET" else None,
                     headers=headers))  # fmt: skip

    run()
    sent["raw"] = count
    assert count >= 750


def test_fuzz_total_and_server_still_serves(
    client: httpx.Client, sent: dict[str, int], server: Served
) -> None:
    total = sum(sent.values())
    print(
        f"fuzz: {total} generated requests ({sent}), 0 answered 5xx, "
        f"{len(DROPPED)} connections closed without an answer (answered when resent)"
    )
    assert total >= 2000, sent
    assert len(DROPPED) <= total // 100, DROPPED[:10]
    good = client.post(V1, json={"instances": [{"region": "PIURA"}]})
    assert good.status_code == 200
    assert client.get("/v2/health/ready").status_code == 200
    metrics = client.get("/metrics").text
    internal = [
        line
        for line in metrics.splitlines()
        if line.startswith("vigia_request_errors_total{") and 'kind="internal"' in line
    ]
    assert internal and all(line.endswith(" 0.0") for line in internal)  # none failed inside
