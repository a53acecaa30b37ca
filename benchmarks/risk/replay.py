"""Risk replay: how close the label-free ROC-AUC estimate (CBPE) comes to the realized ROC-AUC,
week by week, on the 2022 severity cases sent through the live endpoint.

    .venv/bin/python -m benchmarks.risk.replay --workspace /tmp/risk-replay
        → benchmarks/results/risk_replay.json (+ the timeline in the workspace)

Trains with the risk pipeline's defaults on the full data (kfp.local, gate), serves the model with
``vigia serve`` and replays every 2022 week (labels 2 weeks late): the same function as
``vigia risk replay``. ``--timeline FILE`` only summarises the ``timeline.json`` of a replay that
``vigia risk replay`` already ran (the machine's load is then the load at summary time);
with ``--workspace`` beside it, the replay's payload log also gives the error over pooled
windows of several weeks (``--pool``).

Weekly realized ROC-AUC is noisy: a week of 400 cases has about 50 positives. The results hold,
per week, the Hanley–McNeil standard error of the realized value, so the estimator's error can be
read against the noise of what it is compared with.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "risk_replay.json"


def hanley_mcneil_se(auc: float, positives: int, negatives: int) -> float:
    """Standard error of a ROC-AUC from its value and class counts (Hanley & McNeil, 1982)."""
    q1, q2 = auc / (2 - auc), 2 * auc * auc / (1 + auc)
    variance = (
        auc * (1 - auc) + (positives - 1) * (q1 - auc * auc) + (negatives - 1) * (q2 - auc * auc)
    ) / (positives * negatives)
    return math.sqrt(max(variance, 0.0))


def noise(weeks: list[dict[str, Any]]) -> dict[str, Any]:
    """Per week the standard error of the realized ROC-AUC; their mean."""
    errors = []
    for week in weeks:
        if week["realized_roc_auc"] is None or week["observed_positive_rate"] is None:
            continue
        positives = round(week["observed_positive_rate"] * week["cases"])
        se = hanley_mcneil_se(week["realized_roc_auc"], positives, week["cases"] - positives)
        week["realized_se"] = se
        errors.append(se)
    # For an unbiased estimate, E|estimate − realized| ≈ sqrt(2/π) · SE of the realized value.
    return {
        "mean_realized_se": sum(errors) / len(errors) if errors else None,
        "expected_abs_error_from_noise_alone": math.sqrt(2 / math.pi) * sum(errors) / len(errors)
        if errors
        else None,
    }


def pooled(workspace: Path, pool: int, delay: int) -> dict[str, Any]:
    """Estimated vs realized ROC-AUC over windows of ``pool`` consecutive weeks, from the
    replay's payload log (scores as served) and the cases' labels (same order as sent)."""
    import numpy as np
    import pandas as pd
    from sklearn.metrics import roc_auc_score

    from vigia.monitor.cbpe import expected_roc_auc
    from vigia.monitor.risk_replay import BATCH
    from vigia.payloads import read_payloads
    from vigia.risk.ingest import ingest_risk
    from vigia.risk.split import train_test
    from vigia.risk.task import TARGET, TIME

    prepared, _ = ingest_risk("dengue-severity")
    cases = prepared.table.iloc[train_test(prepared.table, prepared.task, 0).test]
    labels: dict[tuple[str, int], int] = {}
    for week, rows in cases.groupby(pd.to_datetime(cases[TIME]), sort=True):
        y = rows[TARGET].to_numpy(dtype="int64")
        for i, label in enumerate(y):
            labels[(f"replay-{week:%Y-%m-%d}-{i // BATCH}", i % BATCH)] = int(label)
    by_week: dict[str, tuple[list[float], list[int]]] = {}
    for record in read_payloads(workspace / "logs" / "payloads" / "dengue-severity")[0]:
        request = str(record.get("request_id", ""))
        if not request.startswith("replay-"):
            continue
        week = request[len("replay-") : len("replay-") + 10]
        scores, ys = by_week.setdefault(week, ([], []))
        for i, output in enumerate(record["outputs"]):
            scores.append(float(output["probability"]))
            ys.append(labels[(request, i)])
    weeks = sorted(by_week)
    rows = []
    for end in range(pool - 1, len(weeks)):
        chunk = weeks[end - pool + 1 : end + 1]
        p = np.concatenate([by_week[w][0] for w in chunk])
        y = np.concatenate([by_week[w][1] for w in chunk])
        estimated, realized = expected_roc_auc(p), float(roc_auc_score(y, p))
        rows.append({"weeks": [chunk[0], chunk[-1]], "cases": len(y), "estimated": estimated,
                     "realized": realized})  # fmt: skip
    diff = np.array([r["estimated"] - r["realized"] for r in rows])
    return {
        "pool_weeks": pool,
        "windows": len(rows),
        "mean_abs_error": float(np.abs(diff).mean()),
        "mean_error": float(diff.mean()),
        "windows_within_0.03": int((np.abs(diff) <= 0.03).sum()),
        "rows": rows,
    }


def plot(weeks: list[dict[str, Any]], path: Path) -> Path:
    """Estimated (CBPE, recalibrated) vs realized ROC-AUC per week, with the realized value's
    ±1 standard error."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(weeks)
    frame["week"] = pd.to_datetime(frame["week"])
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    done = frame.dropna(subset=["realized_roc_auc"])
    ax.fill_between(done["week"], done["realized_roc_auc"] - done["realized_se"],
                    done["realized_roc_auc"] + done["realized_se"], color="#bbb", alpha=0.5,
                    label="realized ± 1 SE")  # fmt: skip
    ax.plot(done["week"], done["realized_roc_auc"], color="#333", lw=1.6, label="realized")
    ax.plot(frame["week"], frame["estimated_roc_auc"], color="#c0392b", lw=1.6,
            label="estimated (CBPE, no labels)")  # fmt: skip
    ax.plot(frame["week"], frame["recalibrated_roc_auc"], color="#1f618d", lw=1, ls="--",
            label="CBPE recalibrated on revealed labels")  # fmt: skip
    ax.set_ylabel("ROC-AUC of the week's cases")
    ax.set_title("dengue-severity, 2022 through the live endpoint (labels 2 weeks late)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower left", ncol=2)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="a fresh workspace for the replay")
    parser.add_argument("--timeline", type=Path, help="summarise this timeline.json instead")
    parser.add_argument("--label-delay", type=int, default=2)
    parser.add_argument("--pool", type=int, default=4, help="weeks per pooled window (0: none)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--plot", type=Path, default=None, help="also draw the timeline (PNG)")
    args = parser.parse_args()
    before = machine_info()
    if args.timeline and args.workspace is None and args.pool:
        parser.error("--timeline needs --workspace (the replay's workspace) or --pool 0")
    if args.timeline:
        data = json.loads(args.timeline.read_text(encoding="utf-8"))
        command = f"vigia --workspace DIR risk replay (timeline {args.timeline.name})"
    else:
        if args.workspace is None:
            parser.error("give --workspace DIR (fresh) or --timeline FILE")
        from vigia.monitor.risk_config import load_risk_monitor_config
        from vigia.workflows.risk_replay import ReplaySetup, run_risk_replay
        from vigia.workspace import Workspace

        replay, _ = run_risk_replay(
            Workspace(args.workspace).ensure(),
            ReplaySetup(label_delay_weeks=args.label_delay),
            load_risk_monitor_config(),
        )
        data = replay.to_dict()
        command = "python -m benchmarks.risk.replay --workspace DIR"
    results = {
        "command": command,
        "what": "dengue-severity, 2022 cases week by week through the live endpoint; estimated "
        "(CBPE) vs realized ROC-AUC of each week's cases",
        "summary": data["summary"],
        "noise": noise(data["weeks"]),
        "label_delay_weeks": data["label_delay_weeks"],
        "seconds": data["seconds"],
        "model_version": data["version"],
        "weeks": data["weeks"],
        "machine_before": before,
        "machine_after": machine_info(),
    }
    if args.workspace is not None and args.pool:
        results["pooled"] = pooled(args.workspace, args.pool, args.label_delay)
    if args.plot:
        plot(results["weeks"], args.plot)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps({k: results[k] for k in ("summary", "noise")}, indent=2))
    if "pooled" in results:
        print(json.dumps({k: v for k, v in results["pooled"].items() if k != "rows"}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
