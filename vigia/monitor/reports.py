"""Human-readable reports of a check: the ops report (HTML) and the weekly performance report for
health officials (HTML + Markdown): what was forecast, what happened, how good it was."""

from __future__ import annotations

import importlib.resources
from typing import Any

import numpy as np
import pandas as pd

from vigia.monitor.decision import CheckResult


def _template(name: str) -> Any:
    import jinja2

    text = (importlib.resources.files("vigia.monitor") / name).read_text("utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def check_html(result: CheckResult, links: dict[str, str]) -> str:
    """The ops report of one check (links: report kind → relative file name)."""
    return str(_template("check.html.j2").render(r=result.to_dict(), links=links))


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _percent(value: float) -> str:
    return f"{100 * value:.0f} %"


def weekly_summary(result: CheckResult) -> dict[str, Any]:
    """The numbers of the weekly performance report, in words and rounded figures."""
    perf = result.performance
    summary: dict[str, Any] = {
        "as_of": f"{result.as_of:%Y-%m-%d}",
        "model": result.model["name"],
        "version": result.model["version"],
        "checked_at": result.checked_at,
        "weeks": int(result.config.get("performance_weeks", 0)),
        "regions": 0,
        "headline": [],
        "latest": [],
        "has_h4": False,
        "by_region": [],
        "charts": [],
        "decision": result.decision.action,
    }
    if not perf.assessed:
        summary["headline"] = [
            f"Not enough reported weeks yet to judge the forecasts: {perf.reason}."
        ]
        return summary
    o = perf.overall
    relative = o["relative_wis"]
    better = "better" if relative < 1 else "worse"
    table = perf.table
    summary["regions"] = int(table["region"].nunique())
    summary["headline"] = [
        f"Over the last {summary['weeks']} weeks, {perf.scored} forecasts (regions × weeks × "
        "1–4 weeks ahead) could be checked against the cases reported since.",
        f"Accuracy: the forecasts' error was {abs(1 - relative):.0%} {better} than simply "
        f"expecting every coming week to look like the current one (relative WIS {relative:.2f}).",
        f"Reliability: {_percent(o['coverage_90'])} of reported counts fell inside the forecasts' "
        "90 % range (it should be about 90 %); "
        f"{_percent(o['coverage_50'])} inside the 50 % range (about 50 %).",
        f"Typical miss of the central forecast: {o['mae']:.1f} cases per region and week.",
        f"Monitoring decision this week: {result.decision.action} — "
        + "; ".join(result.decision.reasons)
        + ".",
    ]
    latest = table[table["target_week"] == result.as_of]
    one = latest[latest["horizon"] == 1].sort_values("y", ascending=False)
    four = latest[latest["horizon"] == 4].set_index("region")["median"]
    summary["has_h4"] = not four.empty
    summary["latest"] = [
        {
            "region": row.region,
            "median": _count(row.median),
            "low": _count(row.q05),
            "high": _count(row.q95),
            "y": _count(row.y),
            "inside": bool(row.q05 <= row.y <= row.q95),
            "above": bool(row.y > row.q95),
            "median4": _count(four[row.region]) if row.region in four.index else "–",
        }
        for row in one.itertuples()
    ]
    summary["by_region"] = [
        {
            "region": region,
            "n": int(s["n"]),
            "relative": _percent(s["relative_wis"]) if np.isfinite(s["relative_wis"]) else "–",
            "coverage": _percent(s["coverage_90"]),
        }
        for region, s in sorted(perf.by_region.items(), key=lambda kv: -kv[1]["persistence_wis"])
    ]
    summary["charts"] = [
        {"region": region, "top": _count(top), "svg": svg}
        for region, top, svg in _charts(table[table["horizon"] == 1])
    ]
    return summary


def _points(xs: np.ndarray, values: np.ndarray, top: float, height: int, pad: int) -> list[str]:
    ys = height - pad - (height - 2 * pad) * np.asarray(values, dtype=float) / top
    return [f"{x:.1f},{y:.1f}" for x, y in zip(xs, ys, strict=True)]


def _charts(table: pd.DataFrame) -> list[tuple[str, float, str]]:
    """One small SVG per region: reported counts, forecast median and 90 % range by week."""
    out = []
    width, height, pad = 250, 110, 6
    ranked = table.groupby("region")["y"].sum().sort_values(ascending=False).index
    for region in ranked:
        rows = table[table["region"] == region].sort_values("target_week")
        if len(rows) < 2:
            continue
        top = float(max(rows[["y", "q95"]].to_numpy().max(), 1.0))
        xs = np.linspace(pad, width - pad, len(rows))
        upper = _points(xs, rows["q95"].to_numpy(), top, height, pad)
        lower = _points(xs, rows["q05"].to_numpy(), top, height, pad)
        median = " ".join(_points(xs, rows["median"].to_numpy(), top, height, pad))
        observed = " ".join(_points(xs, rows["y"].to_numpy(), top, height, pad))
        band = " ".join(upper + lower[::-1])
        svg = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'role="img" aria-label="{region}">'
            f'<rect width="{width}" height="{height}" fill="#fafbfc"/>'
            f'<polygon points="{band}" fill="#9cc3e6" opacity="0.55"/>'
            f'<polyline points="{median}" fill="none" stroke="#1f6fb5" stroke-width="2"/>'
            f'<polyline points="{observed}" fill="none" stroke="#111" stroke-width="1.6"/></svg>'
        )
        out.append((str(region), top, svg))
    return out


def weekly_html(result: CheckResult) -> str:
    """The weekly performance report for health officials (self-contained HTML)."""
    return str(_template("weekly.html.j2").render(s=weekly_summary(result)))


def weekly_markdown(result: CheckResult) -> str:
    """The weekly performance report as Markdown (for e-mail, chat, the KFP UI)."""
    s = weekly_summary(result)
    lines = [
        f"# Dengue forecasts, week {s['as_of']}: what was forecast, what happened",
        "",
        f"Model {s['model']} version {s['version']}.",
        "",
        *[f"- {line}" for line in s["headline"]],
    ]
    if s["latest"]:
        lines += [
            "",
            f"## Week {s['as_of']}: one week ahead vs reported",
            "",
            "| region | forecast | 90 % range | reported | inside |",
            "|---|---:|---:|---:|---|",
        ]
        for row in s["latest"]:
            inside = "yes" if row["inside"] else ("higher" if row["above"] else "lower")
            lines.append(
                f"| {row['region']} | {row['median']} | {row['low']}–{row['high']} | "
                f"{row['y']} | {inside} |"
            )
    if s["by_region"]:
        lines += [
            "",
            f"## Last {s['weeks']} weeks by region",
            "",
            "| region | checked | error vs same-as-last-week | inside 90 % range |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {r['region']} | {r['n']} | {r['relative']} | {r['coverage']} |"
            for r in s["by_region"]
        ]
    return "\n".join(lines) + "\n"
