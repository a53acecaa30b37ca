"""How the drift thresholds were chosen: the drifted-feature share of four-week windows *inside*
the training period (no shift by construction) and after it, on the real Peru panel.

For a cut-off (default 2021-12-26) the reference is the feature table up to it (what the training
pipeline logs); every window of ``weeks`` weeks of origins is tested with the same Evidently
report a check runs, for per-feature thresholds of 0.1 (Evidently's default for the normed
Wasserstein distance) and 0.5 (Vigía's default).

    .venv/bin/python -m benchmarks.drift.calibrate [--cut-off 2021-12-26] [--weeks 4]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results" / "drift_calibration.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cut-off", default="2021-12-26")
    parser.add_argument("--weeks", type=int, default=4)
    parser.add_argument("--thresholds", default="0.1,0.5")
    args = parser.parse_args()

    import pandas as pd

    from vigia.data.ingest import ingest_panel
    from vigia.features.forecast import build_features
    from vigia.monitor.config import MonitorConfig
    from vigia.monitor.drift import drift_check

    panel, _ = ingest_panel("peru")
    features = build_features(panel)
    cut_off = pd.Timestamp(args.cut_off)
    reference = features[features["origin"] <= cut_off]
    columns = [c for c in features.columns if c not in ("region", "origin")]
    origins = sorted(o for o in features["origin"].unique() if o > cut_off - pd.Timedelta(weeks=52))
    result: dict[str, Any] = {"machine": machine_info(), "cut_off": args.cut_off, "rows": []}
    for threshold in (float(t) for t in args.thresholds.split(",")):
        config = MonitorConfig(threshold=threshold)
        for origin in origins:
            window = features[
                (features["origin"] > origin - pd.Timedelta(weeks=args.weeks))
                & (features["origin"] <= origin)
            ]
            share = drift_check(reference, window, columns, config).share
            result["rows"].append(
                {"threshold": threshold, "week": f"{origin:%Y-%m-%d}", "share": share}
            )
    frame = pd.DataFrame(result["rows"])
    frame["period"] = [
        "inside training" if pd.Timestamp(w) <= cut_off else "after" for w in frame["week"]
    ]
    summary = frame.groupby(["threshold", "period"])["share"].agg(["mean", "max", "count"])
    print(summary.round(3).to_string())
    after = frame[frame["period"] == "after"].assign(month=lambda f: f["week"].str[:7])
    monthly = after.pivot_table(index="month", columns="threshold", values="share", aggfunc="mean")
    print(monthly.round(2).to_string())
    result["summary"] = json.loads(summary.reset_index().to_json(orient="records"))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
