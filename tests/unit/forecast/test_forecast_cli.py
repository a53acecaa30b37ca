"""``vigia forecast backtest`` and ``vigia forecast report`` through the installed CLI, on panel
CSVs with one region and with near-empty regions."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd


def write_csv(panel: pd.DataFrame, path: Path, **rename: str) -> Path:
    panel.rename(columns=rename).to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def test_backtest_on_a_single_region_csv(cli, slice_panel: pd.DataFrame, tmp_path: Path) -> None:
    one = slice_panel[slice_panel["region"] == "TUMBES"]
    csv = write_csv(one, tmp_path / "tumbes.csv", region="dept", week_start="week", cases="n")
    out = tmp_path / "bt"
    result = cli(
        [
            "forecast",
            "backtest",
            "--panel",
            str(csv),
            "--region-col",
            "dept",
            "--date-col",
            "week",
            "--target-col",
            "n",
            "--methods",
            "autoets",
            "--years",
            "0.5",
            "--out",
            str(out),
        ]
    )
    assert result.code == 0, result.stderr
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    assert set(scores["methods"]) == {"persistence", "seasonal_naive", "autoets"}
    for summary in scores["methods"].values():
        assert {"wis", "relative_wis", "mae", "coverage_50", "coverage_90"} <= set(summary)
        assert {"dispersion", "overprediction", "underprediction"} <= set(summary)
    assert scores["regions"] == 1 and scores["horizons"] == [1, 2, 3, 4]
    assert scores["origins"] == 22  # 26 weeks of origins minus the 4 without observed targets
    assert scores["methods"]["persistence"]["relative_wis"] == 1.0
    assert set(scores["by_region"]["autoets"]) == {"TUMBES"}
    assert "| autoets |" in result.stdout and "rel. h4" in result.stdout
    models = sorted(p.name for p in (out / "hub" / "model-output").iterdir())
    assert models == ["vigia-autoets", "vigia-persistence", "vigia-seasonal_naive"]
    rounds = sorted((out / "hub" / "model-output").glob("*/*.csv"))
    assert len(rounds) == 3 * 22  # one file per method and origin
    hub = pd.concat(pd.read_csv(p, dtype={"location": str}) for p in rounds)
    assert len(hub) == 3 * 22 * 4 * 23 and set(hub["location"]) == {"24"}  # TUMBES' ubigeo
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "TUMBES" in html and "plotly" in html.lower()


def test_report_on_near_empty_regions(cli, zeros_panel: pd.DataFrame, tmp_path: Path) -> None:
    csv = write_csv(zeros_panel, tmp_path / "zeros.csv")
    out = tmp_path / "report"
    result = cli(
        ["forecast", "report", "--panel", str(csv), "--method", "persistence", "--out", str(out)]
    )
    assert result.code == 0, result.stderr
    hub = pd.read_csv(out / "hub/model-output/vigia-persistence/2022-12-31-vigia-persistence.csv")
    assert list(hub.columns) == [
        "reference_date",
        "target",
        "horizon",
        "location",
        "target_end_date",
        "output_type",
        "output_type_id",
        "value",
    ]
    assert len(hub) == 3 * 4 * 23
    assert set(hub["reference_date"]) == {"2022-12-31"}  # Saturday ending the last week
    assert sorted(hub["target_end_date"].unique()) == [
        "2023-01-07",
        "2023-01-14",
        "2023-01-21",
        "2023-01-28",
    ]
    alerts = pd.read_csv(out / "alerts.csv")
    assert len(alerts) == 3 * 4
    assert set(alerts["level"]) <= {"safety", "alert", "epidemic", "unknown"}
    assert (out / "report.html").stat().st_size > 1_000_000  # plotly.js inlined: works offline


def test_bad_method_is_one_readable_line(cli, tmp_path: Path) -> None:
    result = cli(["forecast", "backtest", "--methods", "prophet", "--out", str(tmp_path / "x")])
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "vigia: error: unknown method(s) prophet; choose from autoarima, autoets, boosted, "
        "constant, count_ar, hybrid, hybrid_v1, lstm, persistence, seasonal_naive, xgboost "
        "or 'all'"
    ]
    assert not (tmp_path / "x").exists()
