"""Reliability: what a tester broke in issue 15, run again and counted.

Three scenarios, each on real models (XGBoost with 5 trees per horizon on three real Peru
departments; persistence/seasonal-naive for the registry scenarios), real MLflow, the real
model store and real server processes:

- **kill-during-push**: ``push_approved`` runs in its own process and is SIGKILLed at a random
  moment (uniform over the measured push time). Then what the next command sees is checked
  before and after it repairs: store ``CURRENT`` vs registry ``champion``, the live version
  loading and answering, checksums of every stored version, leftover ``.push-*`` folders, and a
  rollback from the repaired state.
- **corrupt-bundle**: eight kinds of corruption. Each is pushed through ``ModelStore.push``
  (must be refused), then forced into the store behind the push's back (files written and
  ``CURRENT`` moved by hand) while a server with ``--watch-interval 0.2`` answers a client
  polling it (no request may fail, the corrupt version must never answer), and finally a fresh
  server is started on it (must fall back to the last good version and say so).
- **concurrent-run**: two training pipelines (``vigia pipeline run training``) started at the
  same moment in one workspace, with different methods; each must report its own method,
  version and push.

    .venv/bin/python -m benchmarks.reliability.run [--kills 12] [--pairs 1] [--quick]

Writes ``benchmarks/results/reliability.json``: counts of tries, failures and lost data per
scenario, with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.machine import machine_info
from vigia.errors import EXIT_GATE_REFUSED
from vigia.serving.process import stop_server

RESULTS = Path(__file__).resolve().parents[1] / "results" / "reliability.json"
NAME = "dengue-forecast"
REGIONS = ["LORETO", "PIURA", "TUMBES"]
GATE = {"max_relative_wis": 5.0}


def _small_panel() -> Any:
    from vigia.data.peru import peru_weekly_panel

    panel = peru_weekly_panel().panel
    return panel[panel["region"].isin(REGIONS)].reset_index(drop=True)


def _register(ws: Any, panel: Any, method: str, folder: Path) -> tuple[int, Any]:
    from vigia.registry.lifecycle import registry_for
    from vigia.training import candidate_metrics, evaluate_candidate, train_forecaster

    train_forecaster(panel, method, 0, folder, {"data_hash": "bench"})
    scores, decision = evaluate_candidate(panel, method, 0, GATE, None, years=0.25)
    info = registry_for(ws).log_training_run(
        experiment=NAME,
        registered_name=NAME,
        bundle=folder,
        params={"method": method},
        metrics=candidate_metrics(scores),
        tags={},
        artifacts={},
        approved=decision.approved,
    )
    return info.version, decision


PUSH = """
import json, sys
from pathlib import Path
from vigia.evaluate.gates import Decision
from vigia.training import push_approved
bundle, decision, version, store, uri = sys.argv[1:6]
verdict = Decision.from_dict(json.loads(Path(decision).read_text()))
print("start", flush=True)
push_approved(Path(bundle), verdict, "dengue-forecast", int(version), Path(store), uri)
print("done", flush=True)
"""


def kill_during_push(root: Path, tries: int, seed: int) -> dict[str, Any]:
    from vigia.registry.checksums import has_checksums, verify_checksums
    from vigia.registry.lifecycle import reconcile, registry_for, rollback
    from vigia.registry.store import ModelStore
    from vigia.servables.check import check_in_process
    from vigia.training import push_approved
    from vigia.workspace import Workspace

    rng = random.Random(seed)
    ws = Workspace(root / "kill").ensure()
    panel = _small_panel()
    v1, d1 = _register(ws, panel, "persistence", root / "kill-b1")
    push_approved(root / "kill-b1", d1, NAME, v1, ws.models, ws.tracking_uri)
    candidates = []
    for i, method in enumerate(["seasonal_naive", "persistence", "seasonal_naive"]):
        version, decision = _register(ws, panel, method, root / f"kill-b{i + 2}")
        (root / f"kill-d{version}.json").write_text(json.dumps(decision.to_dict()))
        candidates.append((version, root / f"kill-b{i + 2}"))
    store, registry = ModelStore(ws.models), registry_for(ws)

    def push_cmd(version: int, bundle: Path) -> list[str]:
        return [sys.executable, "-c", PUSH, str(bundle), str(root / f"kill-d{version}.json"),
                str(version), str(ws.models), ws.tracking_uri]  # fmt: skip

    # How long a whole push takes here (the kill moments are drawn over it).
    started = time.perf_counter()
    subprocess.run(push_cmd(*candidates[0]), check=True, capture_output=True)
    full = time.perf_counter() - started
    counts: dict[str, float] = {
        "tries": 0, "killed": 0, "finished_before_kill": 0, "split_after_crash": 0,
        "staging_left_after_crash": 0, "repaired": 0, "disagree_after_repair": 0,
        "live_not_answering": 0, "corrupt_versions": 0, "lost_versions": 0,
        "rollback_failed": 0, "staging_left_after_repair": 0,
    }  # fmt: skip
    for attempt in range(tries):
        # Back to "v1 live and champion"; versions already stored stay (immutable).
        store.set_current(NAME, v1)
        registry.promote(NAME, v1)
        stored_before = set(store.versions(NAME))
        version, bundle = candidates[attempt % len(candidates)]
        if attempt % 2 and version in stored_before:
            # Also kill pushes of never-stored versions: drop the copy (a real push would be
            # of a new version).
            shutil.rmtree(store.version_dir(NAME, version))
            stored_before.discard(version)
        delay = rng.uniform(0.0, full)
        process = subprocess.Popen(push_cmd(version, bundle), stdout=subprocess.PIPE, text=True)
        assert process.stdout is not None
        process.stdout.readline()  # "start": imports done, the push begins
        time.sleep(delay)
        counts["tries"] += 1
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            counts["killed"] += 1
        else:
            counts["finished_before_kill"] += 1
        process.wait()
        champion = registry.champion(NAME)
        if champion is None or store.current(NAME) != champion.version:
            counts["split_after_crash"] += 1
        if list(store.model_dir(NAME).glob(".push-*")):
            counts["staging_left_after_crash"] += 1
        # The next command (push, rollback or a pipeline run) repairs first.
        if reconcile(store, registry, NAME):
            counts["repaired"] += 1
        champion = registry.champion(NAME)
        live = store.current(NAME)
        if champion is None or live != champion.version:
            counts["disagree_after_repair"] += 1
        try:
            check_in_process(store.version_dir(NAME, int(live or 0)))
        except Exception:
            counts["live_not_answering"] += 1
        for stored in store.versions(NAME):
            folder = store.version_dir(NAME, stored)
            try:
                if has_checksums(folder):
                    verify_checksums(folder)
            except Exception:
                counts["corrupt_versions"] += 1
        counts["lost_versions"] += len(stored_before - set(store.versions(NAME)))
        if list(store.model_dir(NAME).glob(".push-*")):
            counts["staging_left_after_repair"] += 1
        if live != v1:  # rollback must work from the repaired state
            try:
                rollback(ws, NAME)
            except Exception:
                counts["rollback_failed"] += 1
    counts["push_seconds"] = round(full, 2)
    return counts


CORRUPTIONS = (
    "truncated model file",
    "emptied model file",
    "deleted model file",
    "garbage model file",
    "truncated history",
    "manifest not JSON",
    "manifest claims a region",
    "file changed after checksums",
)


def _corrupt(folder: Path, kind: str) -> None:
    files = [p for p in (folder / "forecaster").rglob("*") if p.is_file() and p.suffix != ".json"]
    model = max(files, key=lambda p: p.stat().st_size)
    manifest = folder / "vigia-model.json"
    if kind == "truncated model file":
        model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])
    elif kind == "emptied model file":
        model.write_bytes(b"")
    elif kind == "deleted model file":
        model.unlink()
    elif kind == "garbage model file":
        model.write_bytes(os.urandom(model.stat().st_size))
    elif kind == "truncated history":
        history = folder / "history.parquet"
        history.write_bytes(history.read_bytes()[:-64])
    elif kind == "manifest not JSON":
        manifest.write_text(manifest.read_text()[:-20])
    elif kind == "manifest claims a region":
        data = json.loads(manifest.read_text())
        data["regions"].append("LIMA")
        manifest.write_text(json.dumps(data))
    elif kind == "file changed after checksums":
        history = folder / "history.parquet"
        data = bytearray(history.read_bytes())
        data[len(data) // 2] ^= 0xFF
        history.write_bytes(bytes(data))


def _start_server(store: Path, log: Path, ports: list[int]) -> subprocess.Popen[bytes]:
    from vigia.serving.process import launch

    return launch(
        [sys.executable, "-m", "vigia.serving", "--model-dir", str(store), "--model-name",
         NAME, "--http_port", str(ports[0]), "--grpc_port", str(ports[1]),
         "--watch-interval", "0.2"], log,
    )  # fmt: skip


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 300) -> bool:
    from vigia.errors import VigiaError
    from vigia.serving.process import wait_ready

    try:
        wait_ready(url + "/v2/health/ready", process, timeout=timeout)
    except VigiaError:
        return False
    return True


def corrupt_bundles(root: Path) -> dict[str, Any]:
    from vigia.models.bundle import write_forecast_bundle
    from vigia.models.xgboost_forecaster import XGBoostForecaster
    from vigia.registry.store import ModelStore
    from vigia.serving.process import free_ports

    panel = _small_panel()
    good = root / "good"
    model = XGBoostForecaster(n_estimators=5, n_jobs=1).fit(panel)
    write_forecast_bundle(good, model, panel, {"data_hash": "bench"})
    store = ModelStore(root / "corrupt-store")
    store.push(NAME, 1, good, manifest_updates={"name": NAME, "version": 1})
    counts: dict[str, Any] = {
        "kinds": len(CORRUPTIONS), "refused_at_push": 0, "forced_live": 0,
        "requests_during_swap": 0, "failed_requests_during_swap": 0,
        "answered_by_corrupt_version": 0, "fresh_starts": 0, "fresh_start_fell_back": 0,
        "fresh_start_failed_requests": 0, "per_kind": {},
    }  # fmt: skip
    ports = free_ports(4)
    url = f"http://127.0.0.1:{ports[0]}"
    server = _start_server(store.root, root / "server.log", ports[:2])
    try:
        if not _wait_ready(url, server):
            raise RuntimeError((root / "server.log").read_text()[-2000:])
        for number, kind in enumerate(CORRUPTIONS, start=2):
            outcome: dict[str, Any] = {}
            bad = root / f"bad-{number}"
            shutil.copytree(store.version_dir(NAME, 1), bad)  # with its checksums.json
            if kind != "file changed after checksums":
                (bad / "checksums.json").unlink()  # corrupt before any checksum was taken
            _corrupt(bad, kind)
            try:
                store.push(NAME, number, bad, manifest_updates={"name": NAME, "version": number})
                outcome["push"] = "accepted"
            except Exception as exc:  # any refusal counts (BundleRejected, BundleCorrupt, …)
                counts["refused_at_push"] += 1
                outcome["push"] = f"refused: {str(exc)[:160]}"
            # Behind the push's back: files in place, CURRENT moved by hand.
            target = store.version_dir(NAME, number)
            if not target.exists():
                shutil.copytree(bad, target)
            store.set_current(NAME, number)
            counts["forced_live"] += 1
            stop = threading.Event()
            seen: list[tuple[int, Any]] = []

            def poll(stop: threading.Event = stop, seen: list[tuple[int, Any]] = seen) -> None:
                with httpx.Client(base_url=url, timeout=10) as client:
                    while not stop.is_set():
                        try:
                            reply = client.post(
                                f"/v1/models/{NAME}:predict",
                                json={"instances": [{"region": "PIURA"}]},
                            )
                            body = reply.json() if reply.status_code == 200 else {}
                            seen.append((reply.status_code, body.get("model_version")))
                        except httpx.HTTPError:
                            seen.append((0, None))

            thread = threading.Thread(target=poll)
            thread.start()
            time.sleep(2.0)  # ten watcher ticks
            stop.set()
            thread.join()
            counts["requests_during_swap"] += len(seen)
            counts["failed_requests_during_swap"] += sum(1 for code, _ in seen if code != 200)
            counts["answered_by_corrupt_version"] += sum(1 for _, v in seen if v == number)
            outcome["requests"] = len(seen)
            # A fresh server on the corrupt current version.
            fresh_log = root / f"fresh-{number}.log"
            fresh = _start_server(store.root, fresh_log, ports[2:])
            fresh_url = f"http://127.0.0.1:{ports[2]}"
            counts["fresh_starts"] += 1
            try:
                if _wait_ready(fresh_url, fresh):
                    reply = httpx.post(f"{fresh_url}/v1/models/{NAME}:predict",
                                       json={"instances": [{"region": "PIURA"}]})  # fmt: skip
                    metrics = httpx.get(f"{fresh_url}/metrics").text
                    fell_back = (
                        reply.status_code == 200
                        and reply.json()["model_version"] != number
                        and f'vigia_model_fallback_version{{model="{NAME}"}}' in metrics
                    )
                    counts["fresh_start_fell_back"] += int(fell_back)
                    counts["fresh_start_failed_requests"] += int(reply.status_code != 200)
                    outcome["fresh_start"] = "fell back" if fell_back else "did not fall back"
                else:
                    outcome["fresh_start"] = "not ready: " + fresh_log.read_text()[-300:]
            finally:
                stop_server(fresh)
            store.set_current(NAME, 1)
            time.sleep(0.5)
            counts["per_kind"][kind] = outcome
    finally:
        stop_server(server)
    return counts


def concurrent_runs(root: Path, pairs: int) -> dict[str, Any]:
    """Two `vigia pipeline run training` at once in one workspace, ``pairs`` times."""
    vigia = str(Path(sys.executable).with_name("vigia"))
    gates = root / "gates.toml"
    gates.write_text("[forecast]\nmax_relative_wis = 5.0\n")
    counts = {"pairs": pairs, "runs": 0, "failed_runs": 0, "wrong_outcome": 0,
              "duplicate_versions": 0, "waited": 0}  # fmt: skip
    ws = root / "concurrent"
    for _ in range(pairs):
        procs = {}
        for method in ("persistence", "seasonal_naive"):
            procs[method] = subprocess.Popen(
                [vigia, "--workspace", str(ws), "pipeline", "run", "training", "--method", method,
                 "--regions", ",".join(REGIONS), "--backtest-years", "0.25", "--gates",
                 str(gates), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
        versions = []
        for method, process in procs.items():
            out, err = process.communicate(timeout=3600)
            counts["runs"] += 1
            counts["waited"] += int("waiting for the pipeline run" in out + err)
            if process.returncode not in (0, EXIT_GATE_REFUSED):  # refused: finished, not pushed
                counts["failed_runs"] += 1
                continue
            outcome = json.loads(out)
            versions.append(outcome.get("version"))
            if outcome.get("scores", {}).get("candidate") != method:
                counts["wrong_outcome"] += 1
        counts["duplicate_versions"] += len(versions) - len(set(versions))
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=12)
    parser.add_argument("--pairs", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    before = machine_info()
    results: dict[str, Any] = {
        "command": f"python -m benchmarks.reliability.run --kills {args.kills} --pairs "
        f"{args.pairs} --seed {args.seed}",
        "machine": before,
        "scenarios": {},
    }
    with tempfile.TemporaryDirectory(prefix="vigia-reliability-") as tmp:
        root = Path(tmp)
        for name, run in (
            ("kill_during_push", lambda: kill_during_push(root, args.kills, args.seed)),
            ("corrupt_bundle", lambda: corrupt_bundles(root)),
            ("concurrent_run", lambda: concurrent_runs(root, args.pairs)),
        ):
            started = time.perf_counter()
            print(f"reliability: {name} …", flush=True)
            outcome = run()
            outcome["seconds"] = round(time.perf_counter() - started, 1)
            results["scenarios"][name] = outcome
            print(json.dumps(outcome, indent=2), flush=True)
        text = json.dumps(results, indent=2).replace(str(root), "<tmp>")  # no local paths
    results = json.loads(text)
    results["load_after"] = machine_info()["load_average_1_5_15"]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
