"""CLI start-up: CPU time (user + sys) and wall time of the commands that only read the registry or
the model store, and what they import (``python -X importtime``).

A workspace is filled through ``Registry.log_training_run`` (what the training pipeline's register
step calls; MLflow writes it): ``--versions`` versions of ``dengue-forecast`` with metrics, the
newest approved ones promoted, plus one ``cohort-risk`` version. No model is fitted: the commands
measured read the registry, not the models. Each command then runs ``--repeat`` times as a user
runs it (the installed ``vigia`` script, a fresh process each time); the CPU time is the child's
rusage. With ``--baseline REV`` the same commands also run on the code of git revision REV
(``git archive`` into a temporary folder, first on ``PYTHONPATH``), interleaved with the current
code, so both sets of numbers share the machine's load.

    .venv/bin/python -m benchmarks.cli_startup.run [--repeat 5] [--baseline REV]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from io import BytesIO
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "benchmarks" / "results" / "cli_startup.json"
GOAL_CPU_SECONDS = 2.0
COMMANDS = {
    "--help": ["--help"],
    "serve --help": ["serve", "--help"],
    "models list": ["models", "list"],
    "models list --json": ["models", "list", "--json"],
}
HEAVY = ("mlflow", "kfp", "kserve", "tensorflow", "evidently", "pandas", "sqlalchemy", "xgboost")
IMPORT_LINE = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def fill_registry(workspace: Path, versions: int) -> None:
    """Registered versions written by MLflow, as the training pipeline's register step does."""
    from vigia.registry.tracking import Registry

    bundle = workspace / "bundle"
    bundle.mkdir(parents=True)
    (bundle / "README").write_text("placeholder bundle: the commands measured never load it\n")
    registry = Registry(f"sqlite:///{workspace / 'mlflow.db'}", workspace / "mlartifacts")
    for number in range(1, versions + 1):
        info = registry.log_training_run(
            experiment="dengue-forecast",
            registered_name="dengue-forecast",
            bundle=bundle,
            params={"method": "xgboost", "seed": number},
            metrics={"relative_wis": 0.95 - 0.02 * number, "wis": 10.0 - number},
            tags={},
            artifacts={},
            approved=number % 3 != 0,
        )
        if info.approved:
            registry.promote("dengue-forecast", info.version)
    registry.log_training_run(
        experiment="cohort-risk",
        registered_name="cohort-risk",
        bundle=bundle,
        params={},
        metrics={"roc_auc": 0.7},
        tags={},
        artifacts={},
        approved=False,
    )


def run_once(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """One fresh ``vigia`` process: wall seconds and the child's user + sys CPU seconds."""
    started = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {err.decode(errors='replace')[-500:]}")
    return {
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
    }


def import_profile(args: list[str], env: dict[str, str], cwd: Path) -> dict[str, Any]:
    """``python -X importtime``: module count, the heavy libraries imported, the top imports.
    Run outside the repository: ``-m`` puts the working directory first on ``sys.path``."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "vigia.cli.main", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"vigia {' '.join(args)} failed: {done.stderr[-500:]}")
    rows = [
        (int(m.group(2)), len(m.group(3)) // 2, m.group(4))
        for line in done.stderr.splitlines()
        if (m := IMPORT_LINE.match(line))
    ]
    names = {name for _, _, name in rows}
    top_level = sorted((r for r in rows if r[1] == 0), reverse=True)[:8]
    return {
        "modules": len(rows),
        "heavy_imported": [lib for lib in HEAVY if lib in names],
        "top_level_cumulative_ms": {name: round(us / 1000, 1) for us, _, name in top_level},
    }


def baseline_tree(revision: str, into: Path) -> Path:
    """The ``vigia`` package of ``revision`` (git archive), to put first on ``PYTHONPATH``."""
    archive = subprocess.run(
        ["git", "archive", revision, "vigia"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def summary(samples: list[dict[str, float]]) -> dict[str, Any]:
    cpu = [s["cpu"] for s in samples]
    wall = [s["wall"] for s in samples]
    return {
        "cpu_seconds_median": round(statistics.median(cpu), 3),
        "cpu_seconds_min_max": [round(min(cpu), 3), round(max(cpu), 3)],
        "wall_seconds_median": round(statistics.median(wall), 3),
        "goal_met": statistics.median(cpu) <= GOAL_CPU_SECONDS,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--versions", type=int, default=6, help="dengue-forecast versions")
    parser.add_argument("--baseline", metavar="REV", help="also time git revision REV's code")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    vigia = str(Path(sys.executable).with_name("vigia"))
    before = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        workspace = Path(tmp) / "ws"
        fill_registry(workspace, args.versions)
        env = {**os.environ, "VIGIA_HOME": str(workspace)}
        variants = {"current": env}
        if args.baseline:
            tree = baseline_tree(args.baseline, Path(tmp) / "baseline")
            variants["baseline"] = {**env, "PYTHONPATH": str(tree)}
        samples: dict[str, dict[str, list[dict[str, float]]]] = {
            variant: {name: [] for name in COMMANDS} for variant in variants
        }
        for _ in range(args.repeat):  # interleaved: both variants see the same load
            for name, command in COMMANDS.items():
                for variant, variant_env in variants.items():
                    samples[variant][name].append(run_once([vigia, *command], variant_env))
        results = {
            variant: {
                name: {
                    **summary(runs),
                    "imports": import_profile(COMMANDS[name], variants[variant], Path(tmp)),
                }
                for name, runs in by_command.items()
            }
            for variant, by_command in samples.items()
        }
    out = {
        "machine_before": before,
        "goal_cpu_seconds": GOAL_CPU_SECONDS,
        "repeat": args.repeat,
        "registry": f"{args.versions} dengue-forecast versions + 1 cohort-risk, written by MLflow",
        "baseline_revision": args.baseline,
        "results": results,
        "machine_after": machine_info(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(f"{'command':<22} " + " ".join(f"{v + ' CPU s':>16}" for v in results))
    for name in COMMANDS:
        cells = " ".join(f"{results[v][name]['cpu_seconds_median']:>16.2f}" for v in results)
        print(f"{name:<22} {cells}")
    print(f"wrote {args.out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
