"""The real server over real HTTP and gRPC: V1, V2, metadata, readiness, batches, metrics, the
payload log, the Open Inference Protocol client, the bundle (cluster) mode and the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import grpc
import httpx
import numpy as np
import pytest
import tritonclient.http as triton
from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc as pb_grpc
from serving_helpers import BUNDLE_NAME, MAIN, Served, Setup

from vigia.features.forecast import FEATURES
from vigia.forecasts.quantiles import FLUSIGHT_LEVELS, HORIZONS
from vigia.models.bundle import load_forecast_bundle
from vigia.payloads import hashed_id, read_payloads
from vigia.registry.store import ModelStore

V1 = f"/v1/models/{MAIN}:predict"
V2 = f"/v2/models/{MAIN}/infer"


def expected_quantiles(setup: Setup, region: str) -> np.ndarray:
    """The model's own forecast for a region from its bundled history (every region, as the
    pipeline forecast it), in process."""
    model, history, _ = load_forecast_bundle(ModelStore(setup.ws.models).version_dir(MAIN, 1))
    forecast = model.predict(history)
    return forecast.values[list(forecast.keys["region"]).index(region)]


def test_v1_forecasts_match_the_model_and_carry_name_and_version(
    server: Served, setup: Setup
) -> None:
    history = [float(x) for x in range(20, 40)]
    reply = httpx.post(
        server.url(V1),
        json={
            "instances": [
                {"region": "PIURA"},
                {"region": "LORETO", "week_start": "2022-12-25", "history": history},
                {"region": "PIURA", "week_start": "2022-06-05"},
            ]
        },
    )
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["model_name"] == MAIN and body["model_version"] == "1"
    first, sent, earlier = body["predictions"]
    assert first["region"] == "PIURA" and first["origin"] == "2022-12-25"
    assert first["horizons"] == list(HORIZONS)
    assert first["target_weeks"] == ["2023-01-01", "2023-01-08", "2023-01-15", "2023-01-22"]
    assert first["quantile_levels"] == pytest.approx(FLUSIGHT_LEVELS)
    quantiles = np.array(first["quantiles"])
    assert quantiles.shape == (4, 23)
    np.testing.assert_allclose(quantiles, expected_quantiles(setup, "PIURA"), rtol=1e-9)
    assert first["median"] == pytest.approx(quantiles[:, 11].tolist())
    assert np.all(np.diff(quantiles, axis=1) >= 0)
    assert sent["origin"] == "2022-12-25" and sent["region"] == "LORETO"
    assert earlier["origin"] == "2022-06-05"
    assert earlier["target_weeks"][0] == "2022-06-12"


def test_v1_batch_of_many_origins(server: Served) -> None:
    weeks = [f"2022-{m:02d}-{d:02d}" for m, d in ((1, 2), (3, 6), (5, 1), (7, 3), (9, 4))]
    instances = [{"region": r, "week_start": w} for w in weeks for r in ("PIURA", "TUMBES")]
    reply = httpx.post(server.url(V1), json={"instances": instances})
    assert reply.status_code == 200, reply.text
    predictions = reply.json()["predictions"]
    assert [(p["region"], p["origin"]) for p in predictions] == [
        (i["region"], i["week_start"]) for i in instances
    ]
    medians = {(p["region"], p["origin"]): p["median"] for p in predictions}
    assert len({json.dumps(m) for m in medians.values()}) > 1  # different origins differ


def test_v2_infer_json_and_metadata(server: Served, setup: Setup) -> None:
    meta = httpx.get(server.url(f"/v2/models/{MAIN}")).json()
    assert meta["name"] == MAIN and meta["versions"] == ["1"]
    assert meta["platform"] == "vigia-forecaster"
    inputs = {t["name"]: (t["datatype"], t["shape"]) for t in meta["inputs"]}
    assert inputs == {
        "region": ("BYTES", [-1]),
        "week_start": ("BYTES", [-1]),
        "history": ("FP32", [-1, -1]),
    }
    outputs = {t["name"]: (t["datatype"], t["shape"]) for t in meta["outputs"]}
    assert outputs["quantiles"] == ("FP32", [-1, 4, 23])
    assert outputs["median"] == ("FP32", [-1, 4])
    assert outputs["quantile_level"] == ("FP64", [23])

    request = {
        "id": "req-42",
        "inputs": [
            {"name": "region", "datatype": "BYTES", "shape": [2], "data": ["PIURA", "TUMBES"]},
        ],
    }
    reply = httpx.post(server.url(V2), json=request)
    assert reply.status_code == 200, reply.text
    body = reply.json()
    assert body["id"] == "req-42"
    assert body["model_name"] == MAIN and body["model_version"] == "1"
    out = {o["name"]: o for o in body["outputs"]}
    assert out["quantiles"]["shape"] == [2, 4, 23] and out["quantiles"]["datatype"] == "FP32"
    assert out["region"]["data"] == ["PIURA", "TUMBES"]
    values = np.array(out["quantiles"]["data"], dtype="float64").reshape(2, 4, 23)
    np.testing.assert_allclose(values[0], expected_quantiles(setup, "PIURA"), rtol=1e-6)


def test_readiness_health_and_metrics(server: Served) -> None:
    assert httpx.get(server.url("/v2/health/ready")).json() == {"ready": True}
    assert httpx.get(server.url("/v2/health/live")).json() == {"live": True}
    assert httpx.get(server.url(f"/v2/models/{MAIN}/ready")).json()["ready"] is True
    assert httpx.get(server.url("/v2/models/nope/ready")).status_code == 404
    httpx.post(server.url(V1), json={"instances": [{"region": "PIURA"}, {"region": "LORETO"}]})
    text = httpx.get(server.url("/metrics")).text
    assert f'vigia_requests_total{{model="{MAIN}",protocol="v1",version="1"}}' in text
    assert f'vigia_model_live_version{{model="{MAIN}"}} 1.0' in text
    assert "vigia_rows_per_request_bucket" in text
    assert "request_predict_seconds" in text  # KServe's own metrics are there too


def test_model_version_is_one_string_in_every_protocol(server: Served) -> None:
    """V1, V2 (JSON) and gRPC answer the same ``model_version``, of one type: a string."""
    v1 = httpx.post(server.url(V1), json={"instances": [{"region": "PIURA"}]}).json()
    v2_request = {
        "inputs": [{"name": "region", "datatype": "BYTES", "shape": [1], "data": ["PIURA"]}]
    }
    v2 = httpx.post(server.url(V2), json=v2_request).json()
    with grpc.insecure_channel(server.grpc) as channel:
        request = pb.ModelInferRequest(model_name=MAIN)
        region = request.inputs.add(name="region", datatype="BYTES", shape=[1])
        region.contents.bytes_contents.append(b"PIURA")
        grpc_version = pb_grpc.GRPCInferenceServiceStub(channel).ModelInfer(request).model_version
    versions = [v1["model_version"], v2["model_version"], grpc_version]
    assert all(isinstance(v, str) for v in versions), versions
    assert versions == ["1", "1", "1"]
    metadata = httpx.get(server.url(f"/v2/models/{MAIN}")).json()
    assert metadata["versions"] == ["1"]


def test_grpc_infer_metadata_and_bad_request(server: Served, setup: Setup) -> None:
    with grpc.insecure_channel(server.grpc) as channel:
        stub = pb_grpc.GRPCInferenceServiceStub(channel)
        assert stub.ServerReady(pb.ServerReadyRequest()).ready
        meta = stub.ModelMetadata(pb.ModelMetadataRequest(name=MAIN))
        assert [t.name for t in meta.inputs] == ["region", "week_start", "history"]
        request = pb.ModelInferRequest(model_name=MAIN, id="g-1")
        region = request.inputs.add(name="region", datatype="BYTES", shape=[1])
        region.contents.bytes_contents.append(b"PIURA")
        reply = stub.ModelInfer(request)
        assert reply.model_name == MAIN and reply.model_version == "1"
        names = [o.name for o in reply.outputs]
        raw = dict(zip(names, reply.raw_output_contents, strict=True))
        quantiles = np.frombuffer(raw["quantiles"], dtype=np.float32).reshape(1, 4, 23)
        np.testing.assert_allclose(quantiles[0], expected_quantiles(setup, "PIURA"), rtol=1e-6)

        bad = pb.ModelInferRequest(model_name=MAIN)
        wrong = bad.inputs.add(name="region", datatype="BYTES", shape=[1])
        wrong.contents.bytes_contents.append(b"ATLANTIS")
        with pytest.raises(grpc.RpcError) as caught:
            stub.ModelInfer(bad)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "unknown region 'ATLANTIS'" in caught.value.details()


def test_grpc_with_tritonclient_raw_tensors(server: Served, setup: Setup) -> None:
    """The standard gRPC client sends ``raw_input_contents`` and reads raw outputs (issue 15:
    every such request answered INTERNAL, 'truth value of an array is ambiguous').

    tritonclient's gRPC stubs and KServe's register the same protobuf names, so the client runs
    in its own process (``grpc_client.py``) and prints what it got as JSON."""
    script = Path(__file__).with_name("grpc_client.py")
    done = subprocess.run(
        [sys.executable, str(script), server.grpc, MAIN, "PIURA", "TUMBES"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["ready"] is True and got["model_version"] == "1"
    quantiles = np.array(got["quantiles"], dtype=np.float32)
    assert quantiles.shape == (2, 4, 23) and got["quantiles_dtype"] == "float32"
    np.testing.assert_allclose(quantiles[0], expected_quantiles(setup, "PIURA"), rtol=1e-6)
    assert got["region"] == ["PIURA", "TUMBES"] and got["horizon"] == list(HORIZONS)
    assert got["only_median_shape"] == [2, 4] and got["only_median_has_quantiles"] is False
    assert got["bad_region_code"] == "StatusCode.INVALID_ARGUMENT"


def test_open_inference_protocol_client_works_unchanged(server: Served) -> None:
    client = triton.InferenceServerClient(url=server.http.removeprefix("http://"))
    assert client.is_server_ready() and client.is_model_ready(MAIN)
    meta = client.get_model_metadata(MAIN)
    assert meta["versions"] == ["1"]
    region = triton.InferInput("region", [2], "BYTES")
    region.set_data_from_numpy(np.array([b"LORETO", b"PIURA"], dtype=object))
    week = triton.InferInput("week_start", [2], "BYTES")
    week.set_data_from_numpy(np.array([b"2022-12-25", b"2022-12-25"], dtype=object))
    history = triton.InferInput("history", [2, 12], "FP32")
    history.set_data_from_numpy(np.tile(np.arange(12, dtype=np.float32) * 3, (2, 1)))
    result = client.infer(
        MAIN,
        [region, week, history],
        outputs=[triton.InferRequestedOutput("quantiles"), triton.InferRequestedOutput("region")],
    )
    quantiles = result.as_numpy("quantiles")
    assert quantiles.shape == (2, 4, 23) and quantiles.dtype == np.float32
    np.testing.assert_allclose(quantiles[0], quantiles[1])  # same history → same forecast
    assert [r.decode() for r in result.as_numpy("region")] == ["LORETO", "PIURA"]
    assert result.get_response()["model_version"] == "1"


def test_payload_log_records_what_the_model_saw(server: Served, setup: Setup) -> None:
    sent = [float(v) for v in range(10, 22)]
    httpx.post(
        server.url(V1),
        json={"instances": [{"region": "TUMBES", "week_start": "2022-12-18", "history": sent}]},
        headers={"x-request-id": "payload-check"},
    )
    folder = setup.ws.payload_logs / MAIN
    deadline = time.monotonic() + 30
    record = None
    while time.monotonic() < deadline and record is None:
        records, skipped = read_payloads(folder)
        assert skipped == 0
        record = next((r for r in records if r["request_id"] == hashed_id("payload-check")), None)
        time.sleep(0.1)
    assert record is not None, "the request never reached the payload log"
    assert record["model"] == MAIN and record["version"] == 1
    assert record["kind"] == "forecaster" and record["protocol"] == "v1"
    assert record["latency_ms"] > 0
    (row,) = record["inputs"]
    assert row["region"] == "TUMBES" and row["origin"] == "2022-12-18"
    assert row["last_cases"] == 21.0 and row["history_weeks"] == 12
    assert row["history_source"] == "request"
    assert set(FEATURES) <= set(row)
    (out,) = record["outputs"]
    assert out["horizons"] == [1, 2, 3, 4] and len(out["quantile_levels"]) == 23
    assert np.array(out["quantiles"]).shape == (4, 23)

    # A truncated line and a foreign line in the same folder are skipped and counted (in a
    # file of another day, so that the server's writer never appends to it).
    (folder / "payloads-2000-01-01-000.jsonl").write_text(
        json.dumps(record) + "\n" + '{"ts": "2024-01-01T00:00:00+00:00", "req' + "\n[1, 2]\n",
        encoding="utf-8",
    )
    records, skipped = read_payloads(folder)
    assert skipped == 2
    assert sum(r["request_id"] == hashed_id("payload-check") for r in records) == 2


def test_bundle_mode_serves_one_bundle_folder(bundle_server: Served, setup: Setup) -> None:
    reply = httpx.post(
        bundle_server.url(f"/v1/models/{BUNDLE_NAME}:predict"),
        json={"instances": [{"region": "PIURA"}]},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["model_version"] == "1"  # the pushed bundle's manifest version
    quantiles = np.array(reply.json()["predictions"][0]["quantiles"])
    np.testing.assert_allclose(quantiles, expected_quantiles(setup, "PIURA"), rtol=1e-9)
    assert httpx.get(bundle_server.url(f"/v2/models/{BUNDLE_NAME}")).json()["versions"] == ["1"]


def test_serve_without_models_is_one_line_exit_2(cli, tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = cli(["--workspace", str(tmp_path / "empty"), "serve"])
    assert result.code == 2
    assert result.stderr.startswith("vigia: error: ") and "holds no model" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
