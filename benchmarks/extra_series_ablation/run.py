"""Which extra series help ``boosted``: rolling-origin backtests of ``BoostedForecaster`` variants
that differ only in the extra series they are jointly trained with (issue 13's screening).

Same protocol as ``benchmarks/forecast_backtest``: the Peru department panel, origins over the
last 2 years whose 4-week target is observed (100 origins, 2021-01-03 … 2022-11-27), refit every
13 weeks, 23 quantiles, WIS on raw counts, relative WIS against persistence on the same rows.
Each variant is ``BoostedForecaster(extra=…, bags=…, seed=…)`` with every other setting at its
default; all variants run in one backtest (the same rows), and the paired block bootstrap over
origins (as ``benchmarks/forecast_backtest``) gives the interval of each variant's WIS difference
to the first one. Also records, per variant, the wall seconds of its fits + predictions over the
backtest, the CPU and wall seconds of one fit on the whole panel, and that fit's training rows.

    .venv/bin/python -m benchmarks.extra_series_ablation.run
        [--variants taiwan,taiwan+brazil,brazil]
        [--bags 3] [--seed 0] [--results extra_series_ablation]

A variant is ``+``-joined extra sources (``none`` for no extra series); the first is the
reference. Run seeds as separate processes (``--seed 1 --results …_seed1``) to use more cores.
Writes ``benchmarks/results/<results>.{json,md}`` with the machine and its load.
"""

from __future__ import annotations

import argparse
import json
import time
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.machine import cpu_seconds, machine_info

RESULTS = Path(__file__).resolve().parents[1] / "results"
KEYS = ("relative_wis", "wis", "coverage_50", "coverage_90")


def parse_variant(text: str) -> tuple[str, ...]:
    """``"taiwan+brazil"`` → ``("taiwan", "brazil")``; ``"none"`` → ``()``."""
    return () if text == "none" else tuple(part for part in text.split("+") if part)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="taiwan,taiwan+brazil,brazil")
    parser.add_argument("--bags", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--refit-every", type=int, default=13)
    parser.add_argument("--years", type=float, default=2.0)
    parser.add_argument("--resamples", type=int, default=2000, help="bootstrap resamples")
    parser.add_argument("--results", default="extra_series_ablation")
    args = parser.parse_args()

    from vigia.evaluate.backtest import default_origins, rolling_origin_backtest
    from vigia.evaluate.bootstrap import MARKDOWN_HEADER, paired_block_bootstrap
    from vigia.forecasts.quantiles import HORIZONS
    from vigia.models.boosted import BoostedForecaster
    from vigia.models.catalog import FORECASTERS
    from vigia.training import PERU, ingest_panel

    before = machine_info()
    panel, card = ingest_panel(PERU)
    origins = default_origins(panel, years=args.years, max_horizon=max(HORIZONS))
    variants = {
        f"boosted[{text.strip()}]": parse_variant(text.strip()) for text in args.variants.split(",")
    }

    def make(extra: tuple[str, ...]) -> BoostedForecaster:
        return BoostedForecaster(extra=extra, bags=args.bags, seed=args.seed)

    factories: dict[str, Any] = {"persistence": FORECASTERS["persistence"]}
    factories.update({name: partial(make, extra) for name, extra in variants.items()})
    cpu, wall = cpu_seconds(), time.perf_counter()
    result = rolling_origin_backtest(panel, factories, origins, args.refit_every)
    cpu, wall = cpu_seconds() - cpu, time.perf_counter() - wall
    rows: list[dict[str, Any]] = []
    for name, extra in variants.items():
        summary = result.summary["methods"][name]
        model = make(extra)
        fit_cpu, fit_wall = time.process_time(), time.perf_counter()
        model.fit(panel)
        fit_cpu, fit_wall = time.process_time() - fit_cpu, time.perf_counter() - fit_wall
        row = {
            "variant": "+".join(extra) or "none",
            "bags": args.bags,
            "seed": args.seed,
            **{key: round(float(summary[key]), 4) for key in KEYS},
            "backtest_seconds": round(result.seconds[name], 1),
            "whole_panel_fit_wall_seconds": round(fit_wall, 1),
            "whole_panel_fit_cpu_seconds": round(fit_cpu, 1),
            "training_rows_whole_panel": sum(model.training_rows.values()),
            "training_rows_by_source": model.training_rows,
        }
        print(json.dumps(row), flush=True)
        rows.append(row)
    names = list(variants)
    pairs = [(name, names[0]) for name in names[1:]]
    intervals = paired_block_bootstrap(result.tables, pairs, resamples=args.resamples)
    record: dict[str, Any] = {
        "protocol": {
            "panel": card["source"],
            "origins": len(origins),
            "first_origin": f"{origins[0]:%Y-%m-%d}",
            "last_origin": f"{origins[-1]:%Y-%m-%d}",
            "refit_every": args.refit_every,
            "model": "BoostedForecaster(extra=…, bags=…, seed=…), other settings default",
        },
        "variants": rows,
        "backtest_wall_seconds": round(wall, 1),
        "backtest_cpu_seconds": round(cpu, 1),
        "bootstrap": [i.to_dict() for i in intervals],
        "machine_before": before,
        "machine_after": machine_info(),
    }
    bootstrap = "\n".join([MARKDOWN_HEADER, *(i.markdown_row() for i in intervals)])
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.results}.json").write_text(json.dumps(record, indent=2), encoding="utf-8")
    lines = [
        "| extra series | bags | seed | rel. WIS | WIS | cov. 50 | cov. 90 | backtest s (wall) "
        "| one fit, whole panel: CPU s | training rows (whole panel) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['variant']} | {row['bags']} | {row['seed']} | {row['relative_wis']:.3f} | "
            f"{row['wis']:.3f} | {row['coverage_50']:.3f} | {row['coverage_90']:.3f} | "
            f"{row['backtest_seconds']} | {row['whole_panel_fit_cpu_seconds']} | "
            f"{row['training_rows_whole_panel']:,} |"
        )
    (RESULTS / f"{args.results}.md").write_text(
        f"# Extra series ablation ({before['when']}, load before "
        f"{before['load_average_1_5_15']}, after {record['machine_after']['load_average_1_5_15']})"
        f"\n\n" + "\n".join(lines) + f"\n\n## Paired block bootstrap over origins\n\n{bootstrap}\n",
        encoding="utf-8",
    )
    print("\n".join(lines) + "\n\n" + bootstrap)


if __name__ == "__main__":
    main()
