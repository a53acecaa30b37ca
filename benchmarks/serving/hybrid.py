"""Serving cost of the hybrid forecaster against its members' raw predict cost (issue 17).

The hybrid's forecast from a client's history is its active members' ``predict_series`` on the
same arrays, then a weighted combination of their quantiles. This times, in process and on one
thread, (a) the servable's whole parse → predict → predictions for a V1 request with the
client's own history (one region, and every bundled region in one request), and (b) the hybrid's
``predict_series`` against the sum of its members' ``predict_series`` on every bundled region's
last 60 weeks (the goal: the hybrid within 2× of its members). ::

    .venv/bin/python -m benchmarks.serving.hybrid [--bundle DIR] [--seconds 6]

Without ``--bundle`` it fits the default hybrid on the Peru panel (a few minutes). Results go to
``benchmarks/results/serving-hybrid.json``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.machine import machine_info
from benchmarks.serving.run import V1_HISTORY_BODY, all_regions_body, fit_bundle, in_process
from vigia.serving.runtime import limit_math_threads

RESULTS = Path(__file__).resolve().parents[1] / "results" / "serving-hybrid.json"


def median_ms(call: Callable[[], Any], seconds: float) -> float:
    """Median wall time of ``call`` in milliseconds, repeated for about ``seconds``."""
    call()  # warm-up
    times: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(times) < 5:
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return round(float(np.median(times)) * 1000, 3)


def members_cost(bundle: Path, seconds: float) -> dict[str, Any]:
    """The hybrid's ``predict_series`` and each active member's, on every bundled region."""
    import pandas as pd

    from vigia.servables.kinds import load_servable

    model = load_servable(bundle).model  # type: ignore[attr-defined]
    if not hasattr(model, "fitted"):
        raise SystemExit(f"{bundle} is not a hybrid bundle (method {model.name})")
    history = pd.read_parquet(bundle / "history.parquet").sort_values(["region", "week_start"])
    groups = [group.tail(60) for _, group in history.groupby("region", sort=True)]
    series = [group["cases"].fillna(0.0).to_numpy("float64") for group in groups]
    origins = np.array([group["week_start"].iloc[-1] for group in groups], dtype="datetime64[ns]")
    hybrid_ms = median_ms(lambda: model.predict_series(series, origins), seconds)
    members = {
        name: median_ms(partial(member.predict_series, series, origins), seconds)
        for name, member in model.fitted.items()
    }
    return {
        "rows": len(series),
        "hybrid_ms": hybrid_ms,
        "members_ms": members,
        "members_sum_ms": round(sum(members.values()), 3),
        "hybrid_over_members": round(hybrid_ms / sum(members.values()), 3),
        "weights": {
            name: [round(w, 3) for w in weights]
            for name, weights in zip(model.members, model.weights.tolist(), strict=True)
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="a hybrid bundle (default: fit one)")
    parser.add_argument("--seconds", type=float, default=6.0, help="duration of each cell")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    limit_math_threads()
    machine = machine_info()
    with tempfile.TemporaryDirectory(prefix="vigia-hybrid-") as tmp:
        bundle = args.bundle or fit_bundle("hybrid", None, Path(tmp))
        cells = {
            protocol: in_process(bundle, body, args.seconds, cache=False)
            for protocol, body in (
                ("V1 + history, 1 region", V1_HISTORY_BODY),
                ("V1 + history, every region", all_regions_body(bundle)),
            )
        }
        cost = members_cost(bundle, args.seconds)
    result = {
        "benchmark": "serving-hybrid",
        "machine": machine,
        "in_process": cells,
        "predict_series": cost,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    for protocol, cell in cells.items():
        print(
            f"in-process {protocol}: {cell['forecasts_per_s']} forecasts/s "
            f"({cell['forecasts_per_cpu_s']} per CPU s), p50 {cell['p50_ms']} ms"
        )
    print(
        f"predict_series on {cost['rows']} regions: hybrid {cost['hybrid_ms']} ms, members "
        f"{cost['members_ms']} (sum {cost['members_sum_ms']} ms) → "
        f"{cost['hybrid_over_members']}× (goal ≤ 2)"
    )
    print(f"results: {args.out}")


if __name__ == "__main__":
    main()
