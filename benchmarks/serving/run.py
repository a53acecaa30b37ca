"""Serving benchmark: Vigía's KServe predictor (V1, V2, gRPC) against a bare FastAPI/uvicorn
endpoint around the same model, a hand-written stock ``kserve.Model`` with the same features and
boosters (``benchmarks/serving/stock_kserve.py``, client-history requests, XGBoost bundles
only) and the in-process call, on 127.0.0.1 only.

One command, bounded in time (about 17 cells × ``--seconds`` plus start-ups)::

    .venv/bin/python -m benchmarks.serving.run [--bundle DIR | --fit --method M [--trees N]]

It serves ``--bundle``, else the workspace's live ``dengue-forecast`` (after ``vigia demo``),
else fits ``--method`` on the Peru panel. It starts ``python -m vigia.serving`` (payload log on,
as ``vigia serve`` runs), ``benchmarks.serving.bare`` and the stock anchor, and drives each
with closed-loop clients (raw keep-alive HTTP/1.1 and grpc.aio, one-row requests) at
concurrency 1, 8 and 32.
It also times a V2 request of 1,000 rows (server time from the payload log's ``latency_ms``),
the predictor's RSS and its time to ready (process start → ``/v2/health/ready``
200). Results go to ``benchmarks/results/serving.json`` and a Markdown table is printed. The
client runs in this process, on the same 2 shared cores: compare rows of one run, not runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from benchmarks.machine import machine_info
from vigia.serving.process import free_ports, launch, stop_server, wait_ready
from vigia.serving.runtime import limit_math_threads

RESULTS = Path(__file__).resolve().parents[1] / "results" / "serving.json"
NAME = "dengue-forecast"
CONCURRENCY = (1, 8, 32)
V1_BODY = {"instances": [{"region": "PIURA"}]}
# The client sends its own last 52 weeks: never served from the forecast cache.
V1_HISTORY_BODY = {
    "instances": [
        {
            "region": "PIURA",
            "week_start": "2022-12-25",
            "history": [float(10 + k % 7) for k in range(52)],
        }
    ]
}
V2_BODY = {"inputs": [{"name": "region", "datatype": "BYTES", "shape": [1], "data": ["PIURA"]}]}


def rss_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM) in MB."""
    found = {}
    with open(f"/proc/{pid}/status", encoding="utf-8") as handle:
        for line in handle:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": found.get("VmRSS", 0.0), "peak_rss_mb": found.get("VmHWM", 0.0)}


def start(command: list[str], log: Path, ready_url: str) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; seconds from process start to a 200 on ``ready_url``."""
    process = launch(command, log)
    return process, wait_ready(ready_url, process, log, timeout=300)


async def closed_loop(
    send: Callable[[], Awaitable[bool]], concurrency: int, seconds: float
) -> dict[str, Any]:
    """``concurrency`` clients sending back to back for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        nonlocal errors
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            ok = await send()
            latencies.append(time.perf_counter() - began)
            errors += not ok

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    elapsed = time.perf_counter() - began
    ms = np.asarray(latencies) * 1000
    return {
        "requests": len(latencies),
        "errors": errors,
        "req_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


class RawHTTP:
    """A minimal keep-alive HTTP/1.1 client: one prebuilt request written in one piece.

    Python HTTP clients cost milliseconds of CPU per request (and can trip over delayed ACKs
    when headers and body go out separately), which would measure the client, not the server.
    """

    def __init__(self, url: str, body: dict[str, Any]) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, int(parsed.port or 80)
        payload = json.dumps(body).encode()
        self.request = (
            f"POST {parsed.raw_path.decode()} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        ).encode() + payload
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def send(self) -> bool:
        """One request; a keep-alive connection the server closed is reopened once."""
        reused = self.streams is not None
        try:
            return await self._send()
        except (asyncio.IncompleteReadError, ConnectionError):
            self.close()
            if not reused:
                return False
            return await self._send()

    async def _send(self) -> bool:
        if self.streams is None:
            self.streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self.streams
        writer.write(self.request)
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return head.startswith(b"HTTP/1.1 200")

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def http_cells(url: str, body: dict[str, Any], seconds: float) -> list[dict[str, Any]]:
    rows = []
    for concurrency in CONCURRENCY:
        clients = [RawHTTP(url, body) for _ in range(concurrency)]
        for client in clients:  # warm-up: connections, caches
            for _ in range(5):
                assert await client.send(), f"{url} did not answer 200"
        pool = asyncio.Queue[RawHTTP]()
        for client in clients:
            pool.put_nowait(client)

        async def send(pool: asyncio.Queue[RawHTTP] = pool) -> bool:
            client = await pool.get()  # one connection per in-flight request
            try:
                return await client.send()
            finally:
                pool.put_nowait(client)

        measured = await closed_loop(send, concurrency, seconds)
        rows.append({"concurrency": concurrency, **measured})
        for client in clients:
            client.close()
    return rows


async def grpc_cells(target: str, seconds: float) -> list[dict[str, Any]]:
    import grpc
    from kserve.protocol.grpc import grpc_predict_v2_pb2 as pb
    from kserve.protocol.grpc import grpc_predict_v2_pb2_grpc as pb_grpc

    request = pb.ModelInferRequest(model_name=NAME)
    region = request.inputs.add(name="region", datatype="BYTES", shape=[1])
    region.contents.bytes_contents.append(b"PIURA")
    rows = []
    for concurrency in CONCURRENCY:
        async with grpc.aio.insecure_channel(target) as channel:
            stub = pb_grpc.GRPCInferenceServiceStub(channel)

            async def send(stub: Any = stub) -> bool:
                try:
                    await stub.ModelInfer(request)
                except grpc.aio.AioRpcError:
                    return False
                return True

            for _ in range(20):
                await send()
            rows.append(
                {"concurrency": concurrency, **await closed_loop(send, concurrency, seconds)}
            )
    return rows


def all_regions_body(bundle: Path) -> dict[str, Any]:
    """One V1 request forecasting every bundled region from the client's own recent history."""
    import pandas as pd

    history = pd.read_parquet(bundle / "history.parquet").sort_values(["region", "week_start"])
    instances = [
        {"region": str(region), "week_start": f"{group['week_start'].iloc[-1]:%Y-%m-%d}",
         "history": group["cases"].fillna(0.0).tail(60).tolist()}
        for region, group in history.groupby("region", sort=True)
    ]  # fmt: skip
    return {"instances": instances}


def in_process(bundle: Path, body: dict[str, Any], seconds: float, cache: bool) -> dict[str, Any]:
    """The servable's own parse → predict → predictions, no HTTP (what both servers wrap);
    ``cache=False`` times the model call itself on every request. Wall and CPU time: on a
    shared machine the CPU time per request is the steadier figure."""
    from vigia.servables.kinds import load_servable

    servable = load_servable(bundle)
    if not cache:
        servable.cache = None  # type: ignore[attr-defined]
    latencies = []
    rows = len(body["instances"])
    cpu = time.process_time()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        batch = servable.parse_v1(body)
        servable.v1_predictions(batch, servable.predict(batch))
        latencies.append(time.perf_counter() - began)
    cpu = time.process_time() - cpu
    ms = np.asarray(latencies) * 1000
    return {
        "concurrency": 1,
        "rows_per_request": rows,
        "requests": len(latencies),
        "errors": 0,
        "req_per_s": round(len(latencies) / seconds, 1),
        "forecasts_per_s": round(len(latencies) * rows / seconds, 1),
        "forecasts_per_cpu_s": round(len(latencies) * rows / cpu, 1),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p99_ms": round(float(np.percentile(ms, 99)), 2),
    }


def thousand_rows(url: str, bundle: Path, payloads: Path, repeats: int) -> dict[str, Any]:
    """V2 requests of 1,000 (region, week) rows: client and server (payload log) times."""
    import pandas as pd

    history = pd.read_parquet(bundle / "history.parquet").sort_values(["week_start", "region"])
    history = history.groupby("region").tail(60)  # recent weeks: every row has enough history
    rows = history.tail(1000)
    if len(rows) < 1000:
        raise SystemExit(f"the bundle's history has only {len(rows)} recent rows")
    body = {
        "inputs": [
            {"name": "region", "datatype": "BYTES", "shape": [1000],
             "data": rows["region"].tolist()},
            {"name": "week_start", "datatype": "BYTES", "shape": [1000],
             "data": [f"{w:%Y-%m-%d}" for w in pd.to_datetime(rows["week_start"])]},
        ]
    }  # fmt: skip
    client_ms = []
    for i in range(repeats):
        began = time.perf_counter()
        reply = httpx.post(url, json={**body, "id": f"bench-1000-{i}"}, timeout=300)
        client_ms.append((time.perf_counter() - began) * 1000)
        if reply.status_code != 200:
            raise SystemExit(f"1,000-row request failed: {reply.status_code} {reply.text[:300]}")
    from vigia.payloads import hashed_id, read_payloads

    server_ms: list[float] = []
    deadline = time.monotonic() + 120
    while len(server_ms) < repeats and time.monotonic() < deadline:
        records, _ = read_payloads(payloads / NAME)
        by_id = {r["request_id"]: r["latency_ms"] for r in records}  # ids are stored hashed
        ids = [hashed_id(f"bench-1000-{i}") for i in range(repeats)]
        server_ms = [by_id[i] for i in ids if i in by_id]
        time.sleep(0.2)
    return {
        "rows": 1000,
        "regions": int(rows["region"].nunique()),
        "repeats": repeats,
        # The first request computes every row; the repeats are answered from the cache.
        "server_ms_first": round(float(server_ms[0]), 1) if server_ms else None,
        "client_ms_first": round(client_ms[0], 1),
        "server_ms_median": round(float(np.median(server_ms)), 1) if server_ms else None,
        "client_ms_median": round(float(np.median(client_ms)), 1),
    }


def fit_bundle(method: str, trees: int | None, root: Path) -> Path:
    """Fit ``method`` on the Peru panel (``trees``: an XGBoost with that many trees per
    horizon instead of the catalog's default) and export it as a bundle."""
    from vigia.data.peru import peru_weekly_panel
    from vigia.models.bundle import write_forecast_bundle
    from vigia.models.xgboost_forecaster import XGBoostForecaster
    from vigia.training import train_forecaster

    panel = peru_weekly_panel().panel
    folder = root / "bundle"
    print(f"fitting {method} on the Peru panel ({panel['region'].nunique()} regions) …")
    if trees:
        if method != "xgboost":
            raise SystemExit("--trees applies to --method xgboost only")
        model = XGBoostForecaster(n_estimators=trees, n_jobs=1).fit(panel)
        write_forecast_bundle(folder, model, panel, {"data_hash": "benchmark"})
    else:
        train_forecaster(panel, method, 0, folder, {"data_hash": "benchmark"})
    return folder


def pick_bundle(args: argparse.Namespace, root: Path) -> Path:
    """``--bundle``, else the workspace's live dengue-forecast, else a fresh fit of --method."""
    from vigia.registry.store import ModelStore
    from vigia.workspace import Workspace

    if args.bundle:
        return Path(args.bundle)
    store = ModelStore(Workspace.from_env().models)
    if not args.fit and store.current(NAME) is not None:
        print(f"serving the workspace's live {NAME} ({store.current_dir(NAME)})")
        return store.current_dir(NAME)
    return fit_bundle(args.method, args.trees, root)


def table(results: dict[str, Any]) -> str:
    lines = [
        "| target | protocol | concurrency | req/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for cell in results["cells"]:
        lines.append(
            f"| {cell['target']} | {cell['protocol']} | {cell['concurrency']} | "
            f"{cell['req_per_s']} | {cell['p50_ms']} | {cell['p99_ms']} | {cell['errors']} |"
        )
    s = results["summary"]
    lines += [
        "",
        f"- Vigía V1 / bare FastAPI req/s at concurrency 8: **{s['v1_vs_bare_c8']}** "
        f"(goal ≥ 0.9); Vigía V1 p99 at concurrency 8: **{s['v1_p99_ms_c8']} ms** (goal ≤ 20)",
        f"- With the client's history (the model runs on every request): Vigía / bare at "
        f"concurrency 8 **{s['v1_history_vs_bare_c8']}**, p99 {s['v1_history_p99_ms_c8']} ms; "
        f"Vigía / stock kserve.Model (same features and boosters) "
        f"**{s['v1_history_vs_stock_kserve_c8']}** (goal ≥ 1.0)",
        "- In-process forecasts/s (wall; per CPU second): "
        + "; ".join(
            f"{c['protocol']} ({c['rows_per_request']} rows) {c['forecasts_per_s']} "
            f"({c['forecasts_per_cpu_s']})"
            for c in results["cells"]
            if c["target"] == "in-process"
        ),
        f"- V2 request of 1,000 rows ({s['rows_1000']['regions']} regions × recent weeks): "
        f"first (computed) server **{s['rows_1000']['server_ms_first']} ms**, client "
        f"{s['rows_1000']['client_ms_first']} ms; repeated (cache) server "
        f"{s['rows_1000']['server_ms_median']} ms, client {s['rows_1000']['client_ms_median']} ms "
        f"(median of {s['rows_1000']['repeats']}; goal ≤ 50 ms server)",
        f"- Predictor: ready in **{s['predictor_ready_s']} s** (goal ≤ 5), RSS after the run "
        f"**{s['predictor_rss']['rss_mb']} MB** (peak {s['predictor_rss']['peak_rss_mb']}; "
        f"goal ≤ 600); bare endpoint RSS {s['bare_rss']['rss_mb']} MB, ready in "
        f"{s['bare_ready_s']} s",
        f"- Model: {results['model']}; machine: {results['machine']['cpus']} cores (shared), "
        f"load average before the run {results['machine']['load_average_1_5_15']}",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--bundle", help="serve this bundle (default: the workspace's live dengue-forecast)"
    )
    parser.add_argument(
        "--fit", action="store_true", help="fit --method even if the workspace has a model"
    )
    parser.add_argument("--method", default="xgboost", help="forecaster to fit if needed")
    parser.add_argument("--trees", type=int, help="fit an XGBoost with this many trees instead")
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each cell")
    parser.add_argument("--repeats", type=int, default=5, help="1,000-row requests to time")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    machine = machine_info()
    # The predictor runs model libraries single-threaded; the bare endpoint and the in-process
    # call (this process and its children) get the same setting.
    limit_math_threads()

    with tempfile.TemporaryDirectory(prefix="vigia-bench-") as tmp:
        root = Path(tmp)
        bundle = pick_bundle(args, root)
        from vigia.models.bundle import read_manifest
        from vigia.registry.store import ModelStore

        store = ModelStore(root / "models")
        store.push(NAME, 1, bundle, manifest_updates={"name": NAME, "version": 1})
        payloads = root / "payloads"
        http, grpc_port, bare_port, stock_http, stock_grpc = free_ports(5)
        predictor, ready_s = start(
            [sys.executable, "-m", "vigia.serving", "--model-dir", str(root / "models"),
             "--host", "127.0.0.1", "--http_port", str(http), "--grpc_port", str(grpc_port),
             "--payload-log", str(payloads)],
            root / "predictor.log", f"http://127.0.0.1:{http}/v2/health/ready",
        )  # fmt: skip
        bare, bare_ready_s = start(
            [sys.executable, "-m", "benchmarks.serving.bare", "--bundle", str(bundle),
             "--port", str(bare_port)],
            root / "bare.log", f"http://127.0.0.1:{bare_port}/ready",
        )  # fmt: skip
        stock, stock_ready_s = start(
            [sys.executable, "-m", "benchmarks.serving.stock_kserve", "--bundle", str(bundle),
             "--model_name", NAME, "--http_port", str(stock_http),
             "--grpc_port", str(stock_grpc)],
            root / "stock.log", f"http://127.0.0.1:{stock_http}/v2/health/ready",
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{http}"
            stock_url = f"http://127.0.0.1:{stock_http}/v1/models/{NAME}:predict"
            cells = []
            plan = [
                ("vigia", "V1", lambda: http_cells(f"{base}/v1/models/{NAME}:predict",
                                                    V1_BODY, args.seconds)),
                ("vigia", "V1 + history", lambda: http_cells(
                    f"{base}/v1/models/{NAME}:predict", V1_HISTORY_BODY, args.seconds)),
                ("vigia", "V2", lambda: http_cells(f"{base}/v2/models/{NAME}/infer",
                                                    V2_BODY, args.seconds)),
                ("vigia", "gRPC", lambda: grpc_cells(f"127.0.0.1:{grpc_port}", args.seconds)),
                ("bare FastAPI", "V1-like", lambda: http_cells(
                    f"http://127.0.0.1:{bare_port}/predict", V1_BODY, args.seconds)),
                ("bare FastAPI", "V1-like + history", lambda: http_cells(
                    f"http://127.0.0.1:{bare_port}/predict", V1_HISTORY_BODY, args.seconds)),
                ("stock KServe", "V1 + history", lambda: http_cells(
                    stock_url, V1_HISTORY_BODY, args.seconds)),
            ]  # fmt: skip
            for target, protocol, run in plan:
                print(f"… {target} {protocol}", flush=True)
                for row in asyncio.run(run()):
                    cells.append({"target": target, "protocol": protocol, **row})
            for protocol, body, cache in (
                ("parse+predict", V1_BODY, True),
                ("parse+predict, no cache", V1_BODY, False),
                ("parse+predict, history", V1_HISTORY_BODY, False),
                ("parse+predict, history, all regions", all_regions_body(bundle), False),
            ):
                cells.append(
                    {"target": "in-process", "protocol": protocol,
                     **in_process(store.version_dir(NAME, 1), body, args.seconds, cache)}
                )  # fmt: skip
            rows_1000 = thousand_rows(
                f"{base}/v2/models/{NAME}/infer", store.version_dir(NAME, 1), payloads,
                args.repeats,
            )  # fmt: skip
            predictor_rss, bare_rss = rss_mb(predictor.pid), rss_mb(bare.pid)
            stock_rss = rss_mb(stock.pid)
        finally:
            stop_server(predictor)
            stop_server(bare)
            stop_server(stock)
        manifest = read_manifest(store.version_dir(NAME, 1))

    def cell(target: str, protocol: str, concurrency: int) -> dict[str, Any]:
        return next(
            c for c in cells
            if (c["target"], c["protocol"], c["concurrency"]) == (target, protocol, concurrency)
        )  # fmt: skip

    v1_c8 = cell("vigia", "V1", 8)
    results = {
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "model": f"{manifest['method']} ({len(manifest['regions'])} regions"
        + (f", {args.trees} trees per horizon)" if args.trees and not args.bundle else ")"),
        "seconds_per_cell": args.seconds,
        "cells": cells,
        "summary": {
            "v1_vs_bare_c8": round(
                v1_c8["req_per_s"] / cell("bare FastAPI", "V1-like", 8)["req_per_s"], 2
            ),
            "v1_p99_ms_c8": v1_c8["p99_ms"],
            # The same with the client's own history: the model runs on every request.
            "v1_history_vs_bare_c8": round(
                cell("vigia", "V1 + history", 8)["req_per_s"]
                / cell("bare FastAPI", "V1-like + history", 8)["req_per_s"],
                2,
            ),
            "v1_history_p99_ms_c8": cell("vigia", "V1 + history", 8)["p99_ms"],
            # Against a hand-written stock kserve.Model with the same features and boosters.
            "v1_history_vs_stock_kserve_c8": round(
                cell("vigia", "V1 + history", 8)["req_per_s"]
                / cell("stock KServe", "V1 + history", 8)["req_per_s"],
                2,
            ),
            "stock_kserve_ready_s": round(stock_ready_s, 2),
            "stock_kserve_rss": stock_rss,
            "in_process_forecasts_per_s": {
                c["protocol"]: c["forecasts_per_s"] for c in cells if c["target"] == "in-process"
            },
            "rows_1000": rows_1000,
            "predictor_ready_s": round(ready_s, 2),
            "bare_ready_s": round(bare_ready_s, 2),
            "predictor_rss": predictor_rss,
            "bare_rss": bare_rss,
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(table(results))
    print(f"\nresults: {args.out}")


if __name__ == "__main__":
    main()
