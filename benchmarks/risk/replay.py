"""Risk replay: how close the label-free ROC-AUC estimate (CBPE) comes to the realized ROC-AUC,
week by week, on the 2022 severity cases sent through the live endpoint.

    .venv/bin/python -m benchmarks.risk.replay --workspace /tmp/risk-replay
        → benchmarks/results/risk_replay.json (+ the timeline in the workspace)

Trains with the risk pipeline's defaults on the full data (kfp.local, gate), serves the model with
``vigia serve`` and replays every 2022 week (labels 2 weeks late): the same function as
``vigia risk replay``. ``--timeline FILE`` only summarises the ``timeline.json`` of a replay that
``vigia risk replay`` already ran (the machine's load is then the load at summary time).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "risk_replay.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, help="a fresh workspace for the replay")
    parser.add_argument("--timeline", type=Path, help="summarise this timeline.json instead")
    parser.add_argument("--label-delay", type=int, default=2)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    before = machine_info()
    if args.timeline:
        data = json.loads(args.timeline.read_text(encoding="utf-8"))
        command = f"vigia --workspace DIR risk replay (timeline {args.timeline.name})"
    else:
        if args.workspace is None:
            parser.error("give --workspace DIR (fresh) or --timeline FILE")
        from vigia.monitor.risk_config import load_risk_monitor_config
        from vigia.monitor.risk_replay import ReplaySetup, run_risk_replay
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
        "label_delay_weeks": data["label_delay_weeks"],
        "seconds": data["seconds"],
        "model_version": data["version"],
        "weeks": data["weeks"],
        "machine_before": before,
        "machine_after": machine_info(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(json.dumps(results["summary"], indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
