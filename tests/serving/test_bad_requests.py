"""Bad requests, table-driven: each gets its 4xx and a JSON error naming the problem, never a
500 or a stack trace; afterwards the server still answers good requests."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from serving_helpers import MAIN, Served

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
