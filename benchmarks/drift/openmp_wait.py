"""Why retraining sets ``OMP_WAIT_POLICY=PASSIVE``: an XGBoost multi-quantile fit (the
forecaster's objective: 23 levels, depth 3, 100 rounds, 1,000 rows × 20 features) with 1 and 2
threads, under OpenMP's default (spinning) and passive wait policies, each in a fresh process.
On an idle machine the policies tie; on a busy one, spinning threads starve each other.

    .venv/bin/python -m benchmarks.drift.openmp_wait
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "openmp_wait.json"
FIT = """
import time, numpy as np, xgboost as xgb
rng = np.random.default_rng(0)
X = rng.normal(size=(1000, 20)); y = X[:, 0] + rng.normal(size=1000)
params = {"objective": "reg:quantileerror", "quantile_alpha": np.linspace(0.01, 0.99, 23),
          "tree_method": "hist", "max_depth": 3, "nthread": %d}
started = time.perf_counter()
xgb.train(params, xgb.DMatrix(X, label=y), 100)
print(time.perf_counter() - started)
"""


def main() -> None:
    result = {"machine": machine_info(), "seconds": {}}
    for policy in ("default", "PASSIVE"):
        env = dict(os.environ)
        env.pop("OMP_WAIT_POLICY", None)
        if policy != "default":
            env["OMP_WAIT_POLICY"] = policy
        for threads in (1, 2):
            out = subprocess.run(
                [sys.executable, "-c", FIT % threads],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = round(float(out.stdout.strip().splitlines()[-1]), 1)
            result["seconds"][f"{policy} nthread={threads}"] = seconds
            print(f"OMP_WAIT_POLICY={policy:8s} nthread={threads}: {seconds:6.1f} s", flush=True)
    result["machine_after"] = machine_info()["load_average_1_5_15"]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
