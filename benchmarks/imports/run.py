"""Import cost with and without precompiled bytecode (why `make install` compiles it).

Where ``PYTHONDONTWRITEBYTECODE`` is set (as on this CI), Python never writes ``.pyc`` files, so
without the install's ``--compile-bytecode`` every process compiles what it imports from source.
This times ``python -c "import M"`` in fresh processes both ways: with the venv's compiled
bytecode, and with ``PYTHONPYCACHEPREFIX`` pointed at an empty folder (no bytecode found: what a
venv installed without compiling has). Median of ``--repeat`` runs, CPU = user + sys of the
child. Results: ``benchmarks/results/imports.json``. ::

    .venv/bin/python -m benchmarks.imports.run [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.machine import cpu_seconds, machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "imports.json"
MODULES = ("mlflow", "pandas", "xgboost", "vigia.training")


def timed_import(module: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU seconds of one fresh ``python -c "import module"``."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    subprocess.run([sys.executable, "-c", f"import {module}"], env=env, check=True)
    return time.perf_counter() - wall, cpu_seconds() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    machine = machine_info()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="vigia-no-pyc-") as empty:
        compiled = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
        modes = {"compiled": compiled, "from_source": {**compiled, "PYTHONPYCACHEPREFIX": empty}}
        for module in MODULES:
            results[module] = {}
            for mode, env in modes.items():
                runs = [timed_import(module, env) for _ in range(args.repeat)]
                results[module][mode] = {
                    "wall_s": round(float(np.median([r[0] for r in runs])), 2),
                    "cpu_s": round(float(np.median([r[1] for r in runs])), 2),
                }
            both = results[module]
            print(f"import {module}: {both['from_source']['wall_s']} s from source, "
                  f"{both['compiled']['wall_s']} s compiled (CPU {both['from_source']['cpu_s']} "
                  f"→ {both['compiled']['cpu_s']} s)", flush=True)  # fmt: skip
    document = {
        "benchmark": "imports",
        "machine": machine,
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "repeat": args.repeat,
        "results": results,
    }
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results: {RESULTS}")


if __name__ == "__main__":
    main()
