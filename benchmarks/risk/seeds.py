"""How much the test numbers move with the random split: the risk pipeline's train + evaluate on
several patient-grouped (or stratified) splits of a built-in dataset, searching only the family
the full benchmark chose (``benchmarks/results/risk.json``). Full data, no subsampling.

    .venv/bin/python -m benchmarks.risk.seeds [--dataset readmission] [--seeds 1,2,3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info
from benchmarks.risk.run import RESULTS

OUT = RESULTS.parent / "risk_seeds.json"
KEYS = ("roc_auc", "pr_auc", "brier", "ece")


def main() -> None:
    from vigia.risk.ingest import ingest_risk
    from vigia.risk.split import split_table
    from vigia.risk.workflow import evaluate_risk, train_step

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="readmission")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--n-iter", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    family = json.loads(RESULTS.read_text())["datasets"][args.dataset]["selection"]["chosen"][
        "family"
    ]
    before = machine_info()
    prepared, card = ingest_risk(args.dataset)
    runs: list[dict[str, Any]] = []
    for seed in (int(s) for s in args.seeds.split(",")):
        started = time.perf_counter()
        train, test, split = split_table(prepared.table, prepared.task, seed)
        with tempfile.TemporaryDirectory() as tmp:
            model, report = train_step(
                train,
                prepared.task,
                Path(tmp) / "m",
                card["content_hash"],
                families=[family],
                n_iter=args.n_iter,
                seed=seed,
                jobs=args.jobs,
            )
        metrics, _ = evaluate_risk(model, train, test, prepared.task, {}, None, seed)
        run = {
            "seed": seed,
            "test_rows": split["test_rows"],
            "model": {k: metrics["test"][k] for k in KEYS},
            "logistic_regression": {
                k: metrics["baselines"]["logistic_regression"][k] for k in KEYS
            },
            "prior": {k: metrics["baselines"]["prior"][k] for k in KEYS},
            "cv_roc_auc": report["chosen"]["cv_roc_auc"],
            "seconds": time.perf_counter() - started,
        }
        print(json.dumps(run), flush=True)
        runs.append(run)
    summary = {
        who: {
            k: {
                "mean": statistics.mean(r[who][k] for r in runs),
                "min": min(r[who][k] for r in runs),
                "max": max(r[who][k] for r in runs),
            }
            for k in KEYS
        }
        for who in ("model", "logistic_regression")
    }
    OUT.write_text(
        json.dumps(
            {
                "dataset": args.dataset,
                "family": family,
                "runs": runs,
                "summary": summary,
                "machine_before": before,
                "machine_after": machine_info(),
            },
            indent=2,
        )
    )
    print(json.dumps(summary, indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
