"""The forecasting benchmark: every method on the Peru department panel, the issue's protocol.

Origins 2021-W01 … 2022-W48 (100 weekly origins), 21 departments × horizons 1–4, the 23 FluSight
quantiles, WIS on raw counts, refit every 13 weeks, relative WIS against persistence on the same
rows. Prints the method table (overall, WIS parts, per horizon), the per-region table, the
fit + predict time of each method over the backtest, the hybrid's relative WIS with other seeds
(``--seeds``), paired block-bootstrap intervals over origins of the WIS difference between the
hybrid and persistence, the previous default (``hybrid_v1``) and its best single member, and
times one fit of the hybrid on the whole panel (what the training pipeline's train step does).
Writes everything, with the machine and its load, to ``benchmarks/results/forecast_backtest.json``
(+ ``.md``).

    .venv/bin/python -m benchmarks.forecast_backtest.run [--methods all] [--panel FILE.csv]
        [--seeds 0,1,2] [--resamples 2000]

Equivalent CLI (without the timing of the final fit):
``vigia forecast backtest --methods all --out DIR``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from benchmarks.machine import machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--methods", default="all", help="comma-separated methods or 'all'")
    parser.add_argument("--panel", default=None, help="panel CSV (default: the Peru panel)")
    parser.add_argument("--refit-every", type=int, default=13)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument(
        "--seeds", default="0,1,2", help="seeds of the hybrid (the first one backtests all methods)"
    )
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument(
        "--results",
        default="forecast_backtest",
        help="name of the result files in benchmarks/results/ (e.g. one per seed when the seeds "
        "are run as separate processes: --methods hybrid --seeds 1 --results forecast_seed1)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder for scores, hubverse forecasts and report.html "
        "(default: the workspace's reports/forecast_backtest)",
    )
    parser.add_argument(
        "--skip-final-fit", action="store_true", help="do not time one hybrid fit on the panel"
    )
    args = parser.parse_args()

    from vigia.evaluate.bootstrap import MARKDOWN_HEADER, paired_block_bootstrap
    from vigia.evaluate.forecast_scores import method_table, region_table
    from vigia.models.catalog import make_forecaster, parse_methods
    from vigia.reports.forecast_outputs import write_backtest_outputs
    from vigia.reports.hubverse import location_codes
    from vigia.training import PERU, backtest_methods, ingest_panel
    from vigia.workspace import Workspace

    out = args.out or Workspace.from_env().ensure().reports / "forecast_backtest"
    before = machine_info()
    panel, card = ingest_panel(args.panel or PERU)
    methods = parse_methods(args.methods)
    seeds = [int(s) for s in args.seeds.split(",") if s.strip()]
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  {message} ({time.perf_counter() - started:.0f}s)", flush=True)

    result = backtest_methods(
        panel,
        methods,
        seed=seeds[0],
        years=args.years,
        refit_every=args.refit_every,
        progress=progress,
    )
    backtest_seconds = time.perf_counter() - started
    seed_scores: dict[int, dict[str, float]] = {}
    if "hybrid" in methods:
        seed_scores[seeds[0]] = _seed_summary(result.summary["methods"]["hybrid"])
        for seed in seeds[1:]:
            progress(f"hybrid with seed {seed}")
            again = backtest_methods(
                panel, ["hybrid"], seed=seed, years=args.years, refit_every=args.refit_every
            )
            seed_scores[seed] = _seed_summary(again.summary["methods"]["hybrid"])
    intervals = []
    pairs = _bootstrap_pairs(result.summary["methods"], methods)
    if pairs:
        intervals = paired_block_bootstrap(result.tables, pairs, resamples=args.resamples)
    scores = result.scores_json()
    out.mkdir(parents=True, exist_ok=True)
    (out / "scores.json").write_text(json.dumps(scores, indent=2), encoding="utf-8")
    write_backtest_outputs(result, panel, out, location_codes(panel["region"]))

    final = {}
    if "hybrid" in methods and not args.skip_final_fit:
        started = time.perf_counter()
        hybrid = make_forecaster("hybrid", seeds[0]).fit(panel)
        final = {"hybrid_fit_seconds": round(time.perf_counter() - started, 1)}
        final["hybrid"] = hybrid.describe()  # type: ignore[attr-defined]

    table = method_table(scores)
    regions = region_table(scores)
    timing = {name: round(s, 1) for name, s in result.seconds.items()}
    seeds_md = _seeds_markdown(seed_scores)
    bootstrap_md = "\n".join([MARKDOWN_HEADER, *(i.markdown_row() for i in intervals)])
    print(table, "\n\n" + regions)
    if seed_scores:
        print("\nhybrid across seeds\n" + seeds_md)
    if intervals:
        print(
            f"\npaired block bootstrap over origins ({args.resamples} resamples, blocks of "
            f"{intervals[0].block} origins; negative = the first method is better)\n" + bootstrap_md
        )
    print(f"\nwrote {out}/scores.json, scores.md, hub/ (hubverse forecast hub), report.html")
    print(
        f"\nbacktest {backtest_seconds:.0f}s; fit + predict per method over the backtest: {timing}"
    )
    if final:
        print(f"one hybrid fit on the whole panel: {final['hybrid_fit_seconds']}s")
        print(f"hybrid weights and spread: {json.dumps(final['hybrid'])}")
    record = {
        "protocol": {
            "panel": card["source"],
            "regions": scores["regions"],
            "origins": scores["origins"],
            "first_origin": scores["first_origin"],
            "last_origin": scores["last_origin"],
            "horizons": scores["horizons"],
            "quantiles": len(scores["quantile_levels"]),
            "refit_every": args.refit_every,
        },
        "methods": scores["methods"],
        "by_horizon": scores["by_horizon"],
        "seeds": {str(k): v for k, v in seed_scores.items()},
        "bootstrap": [i.to_dict() for i in intervals],
        "seconds": timing,
        "backtest_seconds": round(backtest_seconds, 1),
        **final,
        "machine_before": before,
        "machine_after": machine_info(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    (RESULTS / f"{args.results}.md").write_text(
        f"# Forecast backtest\n\n{table}\n\n{regions}\n\n## Hybrid across seeds\n\n{seeds_md}\n\n"
        f"## Paired block bootstrap over origins\n\n{bootstrap_md}\n\nseconds: {timing}\n",
        encoding="utf-8",
    )


def _seed_summary(summary: dict[str, float]) -> dict[str, float]:
    keys = ("relative_wis", "wis", "coverage_50", "coverage_90")
    return {key: round(float(summary[key]), 4) for key in keys}


def _seeds_markdown(seed_scores: dict[int, dict[str, float]]) -> str:
    if not seed_scores:
        return "(hybrid not run)"
    lines = ["| seed | rel. WIS | cov. 50 | cov. 90 |", "|---:|---:|---:|---:|"]
    for seed, row in seed_scores.items():
        lines.append(
            f"| {seed} | {row['relative_wis']:.3f} | {row['coverage_50']:.3f} | "
            f"{row['coverage_90']:.3f} |"
        )
    rel = [row["relative_wis"] for row in seed_scores.values()]
    lines.append(
        f"| mean ± sd (range) | {statistics.fmean(rel):.3f} ± "
        f"{statistics.pstdev(rel):.3f} ({min(rel):.3f}–{max(rel):.3f}) | | |"
    )
    return "\n".join(lines)


def _bootstrap_pairs(
    summary: dict[str, dict[str, float]], methods: list[str]
) -> list[tuple[str, str]]:
    """(hybrid, persistence), (hybrid, hybrid_v1) and (hybrid, its best single member)."""
    from vigia.models.hybrid import DEFAULT_MEMBERS

    if "hybrid" not in methods:
        return []
    pairs = [("hybrid", "persistence")]
    if "hybrid_v1" in summary:
        pairs.append(("hybrid", "hybrid_v1"))
    members = [m for m in DEFAULT_MEMBERS if m in summary and m != "persistence"]
    if members:
        best = min(members, key=lambda m: summary[m]["relative_wis"])
        pairs.append(("hybrid", best))
    return pairs


if __name__ == "__main__":
    main()
