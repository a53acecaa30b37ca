"""``vigia allocate`` and ``vigia dashboard`` as a user runs them (the installed script)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from vigia.workspace import Workspace


def _one_line_error(result, starts: str) -> None:
    assert result.code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"vigia: error: {starts}"), lines[0]


def test_allocate_writes_a_plan_and_prints_the_table(live_workspace: Workspace, cli) -> None:
    result = cli(
        ["allocate", "--resource", "hospital_bed_days", "--budget", "600", "--floor-per-100k", "1"]
    )
    assert result.code == 0, result.stderr
    assert "model dengue-forecast v1 (persistence), data up to 2022-12-25" in result.stdout
    assert "Hospital bed-days (bed-days) for weeks 2023-01-01 … 2023-01-22" in result.stdout
    out = live_workspace.reports / "allocation"
    plan = json.loads((out / "allocation.json").read_text())
    table = pd.read_csv(out / "allocation.csv")
    assert plan["allocated"] + plan["reserve"] == 600
    assert plan["model"]["version"] == 1 and plan["resource"]["units_per_case"] == 0.49
    assert table["allocated"].sum() == plan["allocated"] and len(table) == 21
    assert (table["allocated"] >= table["floor"]).all()


def test_allocate_refuses_a_floor_beyond_the_budget_and_keeps_the_last_plan(
    live_workspace: Workspace, cli
) -> None:
    ok = cli(["allocate", "--resource", "test_kits", "--budget", "8000"])
    assert ok.code == 0, ok.stderr
    saved = (live_workspace.reports / "allocation" / "allocation.json").read_text()
    refused = cli(
        ["allocate", "--resource", "test_kits", "--budget", "1000", "--floor-per-100k", "10"]
    )
    _one_line_error(refused, "the equity floor alone needs")
    assert "budget is 1,000; lower --floor-per-100k to about" in refused.stderr
    assert (live_workspace.reports / "allocation" / "allocation.json").read_text() == saved


def test_allocate_and_dashboard_input_errors(workspace: Workspace, cli) -> None:
    _one_line_error(cli(["allocate", "--resource", "masks", "--budget", "5"]), "unknown resource")
    _one_line_error(cli(["allocate", "--resource", "test_kits"]), "--budget is required")
    _one_line_error(
        cli(["allocate", "--resource", "test_kits", "--budget", "5"]),
        "no live 'dengue-forecast' model",
    )
    _one_line_error(cli(["dashboard"]), "no live 'dengue-forecast' model")
    _one_line_error(cli(["dashboard", "--resource", "test_kits"]), "give --resource and --budget")
    listing = cli(["allocate", "--list"])
    assert listing.code == 0 and "vector_control_team_weeks" in listing.stdout


def test_allocate_backtest_on_a_panel_csv(
    small_panel: pd.DataFrame, tmp_path: Path, workspace: Workspace, cli
) -> None:
    panel = tmp_path / "panel.csv"
    small_panel.to_csv(panel, index=False)
    out = tmp_path / "bt"
    result = cli(
        ["allocate", "--backtest", "--resource", "test_kits", "--panel", str(panel),
         "--method", "persistence", "--years", "0.25", "--out", str(out)]
    )  # fmt: skip
    assert result.code == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    per_origin = pd.read_csv(out / "per_origin.csv")
    assert summary["origins"] == len(per_origin) >= 5  # a quarter of origins, all scored
    assert set(summary["rules"]) == {
        "forecast:persistence",
        "forecast:seasonal_naive",
        "last_4_weeks",
        "population",
    }
    assert "| last_4_weeks |" in result.stdout
    assert (per_origin["last_4_weeks"] >= per_origin["unavoidable"] - 1e-6).all()


def test_dashboard_cli_builds_one_self_contained_page(live_workspace: Workspace, cli) -> None:
    result = cli(["dashboard", "--resource", "test_kits", "--budget", "5000"])
    assert result.code == 0, result.stderr
    page = live_workspace.reports / "dashboard" / "index.html"
    html = page.read_text(encoding="utf-8")
    assert "  alerts: " in result.stdout
    assert "no monitoring check yet" in html
    assert "computed for this dashboard" in html
    assert "<script src=" not in html  # plotly.js is inlined: works offline
    assert html.count('class="plotly-graph-div"') == 2
