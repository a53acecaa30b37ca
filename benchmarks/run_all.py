"""Run every benchmark, one after the other, each in its own process (``make bench``).

Each writes its results, with the machine and its load, under ``benchmarks/results/``. Speed
figures are only comparable within one run of one benchmark (these machines are shared).

    .venv/bin/python -m benchmarks.run_all [--only forecast_backtest,risk] [--skip containers]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# name → extra arguments; the order puts the quick ones first.
BENCHMARKS: dict[str, list[str]] = {
    "cli_startup": [],
    "pipeline_overhead": [],
    "backtest_fanout": [],
    "imports": [],
    "drift": [],
    "forecast_backtest": [],
    "allocation": [],
    "risk": [],
    "serving": ["--fit", "--method", "xgboost", "--trees", "50"],
    "reliability": [],
    "containers": [],  # builds the images with podman
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated benchmark names")
    parser.add_argument("--skip", default="", help="comma-separated benchmark names")
    args = parser.parse_args()
    only = [n for n in args.only.split(",") if n]
    skip = {n for n in args.skip.split(",") if n}
    unknown = [n for n in [*only, *skip] if n not in BENCHMARKS]
    if unknown:
        print(
            f"run_all: unknown benchmark(s) {', '.join(unknown)}; choose from "
            f"{', '.join(BENCHMARKS)}",
            file=sys.stderr,
        )
        return 2
    chosen = [n for n in (only or BENCHMARKS) if n not in skip]
    outcomes: list[tuple[str, int, float]] = []
    for name in chosen:
        print(f"\n=== benchmarks.{name}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", f"benchmarks.{name}.run", *BENCHMARKS[name]])
        outcomes.append((name, code, time.perf_counter() - started))
    print("\nbenchmark            exit   seconds")
    for name, code, seconds in outcomes:
        print(f"{name:<20} {code:>4} {seconds:>9.0f}")
    return max((code for _, code, _ in outcomes), default=0)


if __name__ == "__main__":
    sys.exit(main())
