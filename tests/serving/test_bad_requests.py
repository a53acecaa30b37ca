"""Bad requests, table-driven: each gets its 4xx and a JSON error naming the problem, never a
500 or a stack trace; afterwards the server still answers good requests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from serving_helpers import BUNDLE_NAME, MAIN, Served

V1 = f"/v1/models/{MAIN}:predict"
V2 = f"/v2/models/{MAIN}/infer"
JSON = {"content-type": "application/json"}
LIMIT = 4 * 1024 * 1024  # vigia serve's default --max-body-bytes


@dataclass
class Bad:
    name: str
    path: str
    body: Any  # dict/list → JSON; bytes → sent as is
    status: int
    says: str  # a fragment the error message must contain
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON))


def v1(*instances: Any) -> dict[str, Any]:
    return {"instances": list(instances)}


def v2(*inputs: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"inputs": list(inputs), **extra}


def t(name: str, datatype: str, shape: list[int], data: list[Any]) -> dict[str, Any]:
    return {"name": name, "datatype": datatype, "shape": shape, "data": data}


REGION = t("region", "BYTES", [1], ["PIURA"])
HISTORY_8 = [float(i) for i in range(8)]


def binary(header: dict[str, Any], tail: bytes) -> tuple[bytes, dict[str, str]]:
    """A V2 binary-extension body (JSON header, then raw tensor bytes) and its headers."""
    head = json.dumps(header).encode()
    return head + tail, {
        "content-type": "application/octet-stream",
        "inference-header-content-length": str(len(head)),
    }


# A BYTES tensor whose 4-byte length prefix claims 1,000 bytes where 5 follow.
BAD_PREFIX = binary(
    {"inputs": [{"name": "region", "datatype": "BYTES", "shape": [1],
                 "parameters": {"binary_data_size": 9}}]},
    (1000).to_bytes(4, "little") + b"PIURA",
)  # fmt: skip
INPUTS_OBJECT = binary(
    {"inputs": {"name": "region", "datatype": "BYTES", "shape": [1], "data": ["PIURA"]}}, b""
)

CASES = [
    # --- V1: the body ----------------------------------------------------------------------
    Bad("v1 malformed JSON", V1, b'{"instances": [', 400, "Unrecognized request format"),
    Bad("v1 body not UTF-8", V1, b"\xff\xfe\x00{", 400, "Unrecognized request format"),
    Bad("v1 body a list", V1, [{"region": "PIURA"}], 400, "must be a JSON object"),
    Bad("v1 no instances", V1, {"rows": []}, 400, "no 'instances' field"),
    Bad("v1 extra top-level field", V1, {"instances": [], "x": 1}, 400, "unknown top-level"),
    Bad("v1 instances not a list", V1, {"instances": {"region": "PIURA"}}, 400, "to be a list"),
    Bad("v1 no instance", V1, v1(), 400, "'instances' is empty"),
    Bad("v1 too many rows", V1, v1(*[{"region": "PIURA"}] * 1001), 413, "at most 1000"),
    Bad("v1 instance not an object", V1, v1("PIURA"), 400, "instances[0] must be an object"),
    # --- V1: fields -------------------------------------------------------------------------
    Bad("v1 region missing", V1, v1({}), 400, "instances[0].region is missing"),
    Bad("v1 region a number", V1, v1({"region": 7}), 400, "region must be a string"),
    Bad("v1 unknown region", V1, v1({"region": "ATLANTIS"}), 404, "unknown region 'ATLANTIS'"),
    Bad("v1 misspelt field", V1, v1({"regoin": "PIURA"}), 400, "unknown field(s) 'regoin'"),
    Bad("v1 date not ISO", V1, v1({"region": "PIURA", "week_start": "25/12/2022"}), 422,
        "not an ISO date"),
    Bad("v1 impossible date", V1, v1({"region": "PIURA", "week_start": "2022-13-45"}), 422,
        "not a valid date"),
    Bad("v1 date a number", V1, v1({"region": "PIURA", "week_start": 20221225}), 400,
        "ISO date string"),
    Bad("v1 week not in history", V1, v1({"region": "PIURA", "week_start": "2001-01-07"}), 422,
        "not a week of the model's history"),
    Bad("v1 history without week", V1, v1({"region": "PIURA", "history": HISTORY_8}), 400,
        "history needs week_start"),
    Bad("v1 history not a list", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": "1,2,3"}), 400,
        "list of weekly counts"),
    Bad("v1 history text value", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [1, "two", 3]}), 400,
        "history[1] must be a number"),
    Bad("v1 history null value", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [1, None]}), 400,
        "got null"),
    Bad("v1 history boolean", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [True] * 8}), 400,
        "got a boolean"),
    Bad("v1 history negative", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [*HISTORY_8, -3]}), 422,
        "cannot be negative"),
    Bad("v1 history too short", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [1, 2, 3]}), 422,
        "needs at least 8"),
    Bad("v1 history too long", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [1.0] * 1041}), 422,
        "at most 1040"),
    Bad("v1 history NaN", V1,
        b'{"instances": [{"region": "PIURA", "week_start": "2022-12-25", "history": [NaN]}]}',
        400, "Unrecognized request format"),
    Bad("v1 history overflow", V1,
        b'{"instances": [{"region": "PIURA", "week_start": "2022-12-25", "history": [1e999]}]}',
        400, "Unrecognized request format"),
    Bad("v1 unknown model", "/v1/models/nope:predict", v1({"region": "PIURA"}), 404,
        "nope does not exist"),
    # --- V2 ---------------------------------------------------------------------------------
    Bad("v2 malformed JSON", V2, b'{"inputs": [', 400, "not valid JSON"),
    Bad("v2 no inputs", V2, {"id": "1"}, 422, "inputs: Field required"),
    Bad("v2 input lacks datatype", V2, v2({"name": "region", "shape": [1], "data": ["PIURA"]}),
        422, "datatype: Field required"),
    Bad("v2 region missing", V2, v2(t("week_start", "BYTES", [1], ["2022-12-25"])), 400,
        "input 'region' (BYTES [N]) is required"),
    Bad("v2 unknown input", V2, v2(REGION, t("regions", "BYTES", [1], ["PIURA"])), 400,
        "unknown input 'regions'"),
    Bad("v2 input twice", V2, v2(REGION, REGION), 400, "appears twice"),
    Bad("v2 region as FP32", V2, v2(t("region", "FP32", [1], [1.0])), 400,
        "datatype FP32; expected BYTES"),
    Bad("v2 unknown datatype", V2, v2(t("region", "TEXT", [1], ["PIURA"])), 400,
        "datatype TEXT; expected BYTES"),
    Bad("v2 region 2-D", V2, v2(t("region", "BYTES", [1, 1], ["PIURA"])), 400,
        "shape [1, 1]; expected [N]"),
    Bad("v2 data does not fit shape", V2, v2(t("region", "BYTES", [2], ["PIURA"])), 400,
        "does not fit datatype BYTES and shape [2]"),
    Bad("v2 region numbers", V2, v2(t("region", "BYTES", [1], [5])), 400, "not text"),
    Bad("v2 empty batch", V2, v2(t("region", "BYTES", [0], [])), 400, "'region' is empty"),
    Bad("v2 unknown region", V2, v2(t("region", "BYTES", [1], ["ATLANTIS"])), 404,
        "unknown region 'ATLANTIS'"),
    Bad("v2 history 1-D", V2,
        v2(REGION, t("week_start", "BYTES", [1], ["2022-12-25"]), t("history", "FP32", [8],
           HISTORY_8)), 400, "shape [8]; expected [N, -1]"),
    Bad("v2 history rows differ", V2,
        v2(REGION, t("week_start", "BYTES", [1], ["2022-12-25"]),
           t("history", "FP32", [2, 8], HISTORY_8 * 2)), 400, "has 2 rows but 'region' has 1"),
    Bad("v2 history text", V2,
        v2(REGION, t("week_start", "BYTES", [1], ["2022-12-25"]),
           t("history", "FP32", [1, 2], ["a", "b"])), 400, "does not fit datatype FP32"),
    Bad("v2 history overflows FP32", V2,
        v2(REGION, t("week_start", "BYTES", [1], ["2022-12-25"]),
           t("history", "FP32", [1, 8], [1e39] * 8)), 422, "NaN or infinite"),
    Bad("v2 history without week", V2, v2(REGION, t("history", "FP32", [1, 8], HISTORY_8)), 400,
        "history needs week_start"),
    Bad("v2 bad week", V2, v2(REGION, t("week_start", "BYTES", [1], ["2022-02-30"])), 422,
        "not a valid date"),
    Bad("v2 unknown output", V2, v2(REGION, outputs=[{"name": "mean"}]), 400,
        "unknown output 'mean'"),
    Bad("v2 binary header, no inputs", V2, b'{"id": "1"}', 400, "malformed request",
        {"content-type": "application/octet-stream", "inference-header-content-length": "11"}),
    Bad("v2 unknown model", "/v2/models/nope/infer", v2(REGION), 404, "nope does not exist"),
    # --- issue 15: what a tester broke ------------------------------------------------------
    Bad("v1 nested body, non-JSON type", V1, b"[" * 100_000 + b"]" * 100_000, 400,
        "nested too deeply", {"content-type": "text/plain"}),
    Bad("v1 date past datetime64[ns]", V1, v1({"region": "PIURA", "week_start": "9999-12-26"}),
        400, "outside the dates this server handles"),
    Bad("v1 date before datetime64[ns]", V1,
        v1({"region": "PIURA", "week_start": "1066-10-14", "history": HISTORY_8}), 400,
        "outside the dates this server handles"),
    Bad("v2 date past datetime64[ns]", V2, v2(REGION, t("week_start", "BYTES", [1],
        ["2262-04-12"])), 400, "outside the dates"),
    Bad("v1 history implausible count", V1,
        v1({"region": "PIURA", "week_start": "2022-12-25", "history": [*HISTORY_8, 1e300]}), 422,
        "not plausible"),
    Bad("v2 binary BYTES bad length prefix", V2, BAD_PREFIX[0], 400, "malformed request",
        BAD_PREFIX[1]),
    Bad("v2 binary inputs an object", V2, INPUTS_OBJECT[0], 400, "malformed request",
        INPUTS_OBJECT[1]),
    Bad("v2 JSON inputs an object", V2, {"inputs": REGION}, 422, "invalid V2 request"),
    Bad("v2 versioned infer path", f"/v2/models/{MAIN}/versions/1/infer", v2(REGION), 404,
        "versioned paths are not served"),
]  # fmt: skip


def send(server: Served, case: Bad) -> httpx.Response:
    content = case.body if isinstance(case.body, bytes) else json.dumps(case.body).encode()
    return httpx.post(server.url(case.path), content=content, headers=case.headers)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_request_gets_4xx_naming_the_problem(server: Served, case: Bad) -> None:
    reply = send(server, case)
    assert reply.status_code == case.status, reply.text
    body = reply.json()
    assert case.says in body["error"], body
    assert "Traceback" not in reply.text


def test_body_over_the_limit_is_413_declared_or_streamed(server: Served) -> None:
    big = b'{"instances": [' + b'{"region": "PIURA"},' * (LIMIT // 19) + b'{"region": "PIURA"}]}'
    declared = httpx.post(server.url(V1), content=big, headers=JSON)
    assert declared.status_code == 413 and "larger than" in declared.json()["error"]

    def chunks() -> Any:  # no Content-Length: the server counts as it reads
        for start in range(0, len(big), 65536):
            yield big[start : start + 65536]

    streamed = httpx.post(server.url(V1), content=chunks(), headers=JSON)
    assert streamed.status_code == 413 and "larger than" in streamed.json()["error"]


def test_bad_values_are_echoed_bounded(server: Served) -> None:
    """A 1 MB region name must not come back as a 1 MB answer (nor a 1 MB log line)."""
    huge = "A" * 1_000_000
    reply = httpx.post(server.url(V1), json=v1({"region": huge}))
    assert reply.status_code == 404 and len(reply.content) < 2_000
    assert "(1000000 characters)" in reply.json()["error"]
    assert huge[:10_000] not in server.log.read_text(errors="replace")


def test_control_endpoints_are_off_without_an_operator_token(
    server: Served, bundle_server: Served
) -> None:
    """Issue 15: any client could unload the model (then 404s while ready said 200)."""
    for action in ("unload", "load"):
        path = f"/v2/repository/models/{BUNDLE_NAME}/{action}"
        reply = httpx.post(bundle_server.url(path))  # started without --operator-token-file
        assert reply.status_code == 403 and "control endpoints are off" in reply.json()["error"]
        reply = httpx.post(server.url(f"/v2/repository/models/{MAIN}/{action}"))  # no token sent
        assert reply.status_code == 401
    assert httpx.post(bundle_server.url("/v2/repository/index")).status_code == 403
    for served, model in ((server, MAIN), (bundle_server, BUNDLE_NAME)):
        reply = httpx.post(served.url(f"/v1/models/{model}:predict"), json=v1({"region": "PIURA"}))
        assert reply.status_code == 200
        assert httpx.get(served.url("/v2/health/ready")).status_code == 200


def test_access_lines_only_with_access_log(server: Served) -> None:
    httpx.get(server.url("/v2/health/live?probe=access-line"))
    assert "probe=access-line" not in server.log.read_text(errors="replace")


def test_server_still_serves_after_bad_requests(server: Served) -> None:
    assert len(CASES) >= 30
    for case in CASES:
        assert send(server, case).status_code == case.status
    good = httpx.post(server.url(V1), json=v1({"region": "PIURA"}))
    assert good.status_code == 200 and good.json()["predictions"][0]["region"] == "PIURA"
    metrics = httpx.get(server.url("/metrics")).text
    assert f'vigia_request_errors_total{{kind="unknown_region",model="{MAIN}"}}' in metrics
    assert httpx.get(server.url("/v2/health/ready")).status_code == 200


def test_unknown_models_share_one_error_label(server: Served) -> None:
    """The error counter's ``model`` label is bounded: requests naming models that are not
    served are counted under ``model="unknown"``, never under the name a client sent."""
    names = [f"no-such-model-{i}" for i in range(5)]
    for name in names:
        reply = httpx.post(server.url(f"/v1/models/{name}:predict"), json=v1({"region": "PIURA"}))
        assert reply.status_code == 404 and name in reply.json()["error"]
        reply = httpx.post(server.url(f"/v2/models/{name}/infer"), content=b"{", headers=JSON)
        assert reply.status_code in (400, 404)
    metrics = httpx.get(server.url("/metrics")).text
    assert not any(name in metrics for name in names)
    unknown = [
        line
        for line in metrics.splitlines()
        if line.startswith('vigia_request_errors_total{kind="unknown_model",model="unknown"}')
    ]
    assert len(unknown) == 1 and float(unknown[0].split()[-1]) >= len(names)
    labels = {line.split('model="')[1].split('"')[0] for line in metrics.splitlines()
              if line.startswith("vigia_request_errors_total{")}  # fmt: skip
    assert MAIN in labels and "unknown" in labels
    for model in labels - {"unknown"}:  # every other label value is a served model
        assert httpx.get(server.url(f"/v2/models/{model}/ready")).status_code == 200
