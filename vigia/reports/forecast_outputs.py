"""Files written by ``vigia forecast backtest`` and ``vigia forecast report``."""

from __future__ import annotations

import html
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from vigia.evaluate.backtest import BacktestResult
from vigia.evaluate.forecast_scores import method_table, region_table
from vigia.forecasts.endemic import endemic_channel, forecast_alerts
from vigia.models.base import Forecaster
from vigia.models.catalog import BASELINES, FORECASTERS
from vigia.reports.forecast_report import ReportInput, write_report
from vigia.reports.hubverse import hub_model_id, write_hub

ALERT_COLUMNS = [
    "region",
    "origin",
    "horizon",
    "target_week",
    "median",
    "lower",
    "center",
    "upper",
    "p_above_center",
    "p_above_upper",
    "level",
]


def markdown_table_html(markdown: str) -> str:
    """A Markdown pipe table (as :func:`method_table` writes) as an HTML table."""
    rows = [line.strip().strip("|").split("|") for line in markdown.strip().splitlines()]
    head, body = rows[0], rows[2:]
    out = ["<table><tr>", *(f"<th>{html.escape(c.strip())}</th>" for c in head), "</tr>"]
    for row in body:
        out += ["<tr>", *(f"<td>{html.escape(c.strip())}</td>" for c in row), "</tr>"]
    return "".join([*out, "</table>"])


def describe(method: object) -> str:
    """The first line of a forecaster class's docstring."""
    return (getattr(method, "__doc__", None) or "").strip().split("\n")[0]


def write_backtest_outputs(
    result: BacktestResult,
    panel: pd.DataFrame,
    out: Path,
    locations: Mapping[str, str],
    report_method: str | None = None,
    file_format: str = "csv",
) -> list[Path]:
    """``scores.md``, the forecast hub ``hub/`` (every method as model ``vigia-<method>``, one
    round per origin) and ``report.html``."""
    scores = result.scores_json()
    tables = f"## Methods\n\n{method_table(scores)}\n\n## Relative WIS per region\n\n"
    tables += region_table(scores) + "\n"
    (out / "scores.md").write_text(tables, encoding="utf-8")
    forecasts = {hub_model_id(name): forecast for name, forecast in result.forecasts.items()}
    methods = {hub_model_id(name): (name, describe(FORECASTERS[name])) for name in result.forecasts}
    write_hub(out / "hub", forecasts, panel, locations, file_format, methods)
    ranked = sorted(scores["methods"], key=lambda m: scores["methods"][m]["relative_wis"])
    candidates = [m for m in ranked if m not in BASELINES] or ranked
    method = report_method if report_method in result.forecasts else candidates[0]
    first = result.origins[0]
    report = ReportInput(
        title=f"Backtest: {method} ({len(result.origins)} origins from {first:%Y-%m-%d}), "
        "1-week-ahead forecasts",
        history=panel,
        channel=endemic_channel(panel, before=first),
        backtest=result.forecasts[method],
        backtest_horizon=min(result.forecasts[method].horizons),
        tables_html="<h2>Methods</h2>"
        + markdown_table_html(method_table(scores))
        + "<h2>Relative WIS per region</h2>"
        + markdown_table_html(region_table(scores)),
    )
    report_path = write_report(report, out / "report.html")
    return [out / "scores.md", out / "hub", report_path]


def write_forecast_outputs(
    model: Forecaster,
    history: pd.DataFrame,
    out: Path,
    label: str,
    locations: Mapping[str, str],
    model_id: str,
    file_format: str = "csv",
) -> tuple[list[Path], pd.DataFrame]:
    """Forecast from the last week of ``history``: the round's model-output file in the forecast
    hub ``out/hub/``, ``alerts.csv`` and ``report.html``; returns the paths and alerts."""
    out.mkdir(parents=True, exist_ok=True)
    forecast = model.predict(history)
    methods = {model_id: (label, describe(type(model)))}
    paths = write_hub(out / "hub", {model_id: forecast}, history, locations, file_format, methods)
    if model.endemic is not None:
        alerts = forecast_alerts(forecast, model.endemic)
    else:
        alerts = pd.DataFrame(columns=ALERT_COLUMNS)
    alerts.to_csv(out / "alerts.csv", index=False)
    paths.append(out / "alerts.csv")
    last = f"{pd.Timestamp(history['week_start'].max()):%Y-%m-%d}"
    report = ReportInput(
        title=f"Dengue forecast from the week of {last}: {label}",
        history=history,
        forecast=forecast,
        channel=model.endemic,
    )
    paths.append(write_report(report, out / "report.html"))
    return paths, alerts
