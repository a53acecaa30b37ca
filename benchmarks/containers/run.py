"""Containers: image builds and sizes, the training pipeline in containers vs subprocesses, and
the predictor container's time-to-ready and memory.

1. ``scripts/build-images.sh`` (what ``make images`` runs; ``--no-cache`` rebuilds every layer,
   with the package download caches still warm) — seconds per image and image sizes;
2. ``vigia pipeline run training`` on the same slice with ``--runner subprocess`` and
   ``--runner container``, two runs each (order S C C S) in fresh workspaces: wall time of the CLI
   call and of the pipeline run, the ratio of the totals, and whether data hash, scores (timings
   aside) and gate decision are equal;
3. the predictor image on the container run's model store: seconds from ``podman run`` to
   ``/v2/health/ready`` = 200, then the server process's RSS (VmRSS of the container's main
   process) and the container's memory as the engine reports it, after 50 V1 requests.

    .venv/bin/python -m benchmarks.containers.run [--no-cache] [--regions PIURA,LORETO,TUMBES]
    .venv/bin/python -m benchmarks.containers.run --build-only     step 1 alone (sizes, layers)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "containers.json"
MODEL = "dengue-forecast"
# As in tests/e2e/test_containers.py: one real gate check the 3-region slice passes, so there is
# an approved model to push and serve (the containers, not the model's skill, are measured).
GATES = "[forecast]\nmax_relative_wis = 1.25\n"


def build_images(no_cache: bool) -> dict[str, Any]:
    """Run the build script; parse its per-image lines."""
    env = {**os.environ, "PYTHON": sys.executable}
    if no_cache:
        env["NO_CACHE"] = "1"
    started = time.perf_counter()
    done = subprocess.run(
        ["bash", "scripts/build-images.sh"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    built = {
        image: float(seconds)
        for image, seconds in re.findall(r"\[images\] (\S+) built in ([\d.]+)s", done.stdout)
    }
    return {
        "no_cache": no_cache,
        "total_seconds": round(time.perf_counter() - started, 1),
        "image_seconds": built,
        "sizes_mb": image_sizes(),
        "layers_mb": image_layers(),
    }


def image_sizes() -> dict[str, float]:
    from vigia.containers import engine_client
    from vigia.images import image_ref

    client = engine_client()
    return {
        ref: round(client.images.get(ref).attrs["Size"] / 1e6, 1)
        for ref in (image_ref("project", "local"), image_ref("predictor", "local"))
    }


def image_layers() -> dict[str, list[list[Any]]]:
    """Each image's layers over 1 MB, base first: [MB, the instruction that made it]."""
    from vigia.containers import engine_client
    from vigia.images import image_ref

    client = engine_client()
    return {
        ref: [
            [round(layer["Size"] / 1e6, 1), " ".join(layer["CreatedBy"].split())[:90]]
            for layer in reversed(client.images.get(ref).history())
            if layer["Size"] > 1e6
        ]
        for ref in (image_ref("project", "local"), image_ref("predictor", "local"))
    }


def pipeline_run(workspace: Path, runner: str, regions: str, years: float, gates: Path) -> dict:
    """One ``vigia pipeline run training --json``: wall time of the CLI call and the outcome."""
    args = [str(Path(sys.executable).with_name("vigia")), "--workspace", str(workspace)]
    args += ["pipeline", "run", "training", "--regions", regions, "--gates", str(gates)]
    args += ["--backtest-years", str(years), "--runner", runner, "--json"]
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{runner} run failed:\n{done.stdout[-3000:]}\n{done.stderr}")
    return {"cli_seconds": wall, "outcome": json.loads(done.stdout)}


def pipeline_runs(root: Path, regions: str, years: float, gates: Path) -> dict[str, Any]:
    """The training pipeline with each runner, in the order subprocess, container, container,
    subprocess (so a drifting machine load hits both alike), each in a fresh workspace."""
    runs: dict[str, list[dict[str, Any]]] = {"subprocess": [], "container": []}
    for i, runner in enumerate(("subprocess", "container", "container", "subprocess")):
        runs[runner].append(pipeline_run(root / f"{runner}-{i}", runner, regions, years, gates))

    def seconds(runner: str) -> list[float]:
        return [round(r["outcome"]["seconds"], 1) for r in runs[runner]]

    local, boxed = runs["subprocess"][0]["outcome"], runs["container"][0]["outcome"]
    untimed = [{k: v for k, v in o["scores"].items() if k != "seconds"} for o in (local, boxed)]
    return {
        "regions": regions,
        "backtest_years": years,
        "subprocess_seconds": seconds("subprocess"),
        "container_seconds": seconds("container"),
        "subprocess_cli_seconds": [round(r["cli_seconds"], 1) for r in runs["subprocess"]],
        "container_cli_seconds": [round(r["cli_seconds"], 1) for r in runs["container"]],
        "ratio_container_vs_subprocess": round(
            sum(seconds("container")) / sum(seconds("subprocess")), 2
        ),
        "same_data_hash": boxed["card"]["content_hash"] == local["card"]["content_hash"],
        "same_scores_except_timings": untimed[0] == untimed[1],
        "same_decision": boxed["decision"] == local["decision"],
        "approved": boxed["decision"]["approved"],
        "store": str(root / "container-1" / "models"),
    }


def predictor_numbers(store: Path) -> dict[str, Any]:
    """Time to ready and memory of the predictor container serving ``store``."""
    import httpx

    from vigia.serving.container import start_predictor

    started = time.perf_counter()
    predictor = start_predictor(store, http_port=18480, grpc_port=18481)
    try:
        ready = predictor.wait_ready()
        startup = time.perf_counter() - started
        url = f"{predictor.url}/v1/models/{MODEL}:predict"
        body = {"instances": [{"region": "PIURA"}, {"region": "LORETO"}]}
        latencies = []
        with httpx.Client(timeout=30) as client:
            for _ in range(50):
                sent = time.perf_counter()
                client.post(url, json=body).raise_for_status()
                latencies.append(time.perf_counter() - sent)
        rss_kb = _vm_rss_kb(predictor.main_pid())
        stats = predictor.container.stats(stream=False)
        usage = stats.get("memory_stats", {}).get("usage", 0)
        user = predictor.user()
    finally:
        stopped = time.perf_counter()
        code = predictor.stop()
        stop_seconds = time.perf_counter() - stopped
    return {
        "seconds_start_to_ready": round(startup, 2),
        "seconds_polling_ready": round(ready, 2),
        "rss_mb": round(rss_kb / 1024, 1),
        "container_memory_mb": round(usage / 1e6, 1),
        "v1_p50_ms": round(sorted(latencies)[len(latencies) // 2] * 1000, 2),
        "user": user,
        "stop_seconds": round(stop_seconds, 2),
        "exit_code": code,
    }


def _vm_rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-cache", action="store_true", help="rebuild every image layer")
    parser.add_argument("--regions", default="PIURA,LORETO,TUMBES")
    parser.add_argument("--years", type=float, default=0.25, help="backtest years")
    parser.add_argument(
        "--build-only", action="store_true", help="build and measure the images, run nothing"
    )
    args = parser.parse_args()
    result: dict[str, Any] = {"machine_before": machine_info()}
    result["build"] = build_images(args.no_cache)
    if args.build_only:
        result["pipeline"] = result["predictor"] = "not measured (--build-only)"
    else:
        with tempfile.TemporaryDirectory(prefix="bench-containers-") as tmp:
            gates = Path(tmp) / "gates.toml"
            gates.write_text(GATES, encoding="utf-8")
            result["gates"] = GATES
            result["pipeline"] = pipeline_runs(Path(tmp), args.regions, args.years, gates)
            if result["pipeline"]["approved"]:
                result["predictor"] = predictor_numbers(Path(result["pipeline"]["store"]))
    result["machine_after"] = machine_info()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
