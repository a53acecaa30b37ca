"""The offline forecast report: one self-contained HTML page with a fan chart per region.

Each chart shows the observed weekly cases, the endemic channel (lower/upper limits shaded, the
center line dashed), the forecast from the last observed week (median, 50 % and 90 % bands) and,
for a backtest, the rolling forecasts made ``backtest_horizon`` weeks before each week.
plotly's JavaScript is inlined once, so the page works without network access.
"""

from __future__ import annotations

import html
import importlib.resources
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from vigia.forecasts.endemic import EndemicChannel, forecast_alerts
from vigia.forecasts.quantiles import QuantileForecast

TEMPLATE = "forecast_report.html.j2"
WEEKS_SHOWN = 104
BAND_COLOURS = {0.9: "rgba(31,111,178,0.18)", 0.5: "rgba(31,111,178,0.35)"}
CHANNEL_COLOUR = "rgba(46,125,50,0.12)"
LEVEL_COLOURS = {"safety": "#2e7d32", "alert": "#f9a825", "epidemic": "#c62828", "unknown": "#777"}


@dataclass
class ReportInput:
    """What the report shows.

    Attributes:
        title: Page title.
        history: Observed panel (region, week_start, cases).
        forecast: Forecast from the last observed week (one row per region), or None.
        channel: Endemic channel, or None.
        backtest: Rolling forecasts over past origins (any rows), or None.
        backtest_horizon: Which horizon of ``backtest`` to draw.
        tables_html: Extra HTML (score tables, model description) shown above the charts.
    """

    title: str
    history: pd.DataFrame
    forecast: QuantileForecast | None = None
    channel: EndemicChannel | None = None
    backtest: QuantileForecast | None = None
    backtest_horizon: int = 1
    tables_html: str = ""


def _band(
    fig: Any,
    x: pd.Series,
    low: np.ndarray,
    high: np.ndarray,
    colour: str,
    name: str,
    group: str,
    show: bool,
) -> None:
    import plotly.graph_objects as go

    fig.add_trace(
        go.Scatter(
            x=list(x) + list(x)[::-1],
            y=list(low) + list(high)[::-1],
            fill="toself",
            fillcolor=colour,
            line={"width": 0},
            hoverinfo="skip",
            name=name,
            legendgroup=group,
            showlegend=show,
        )
    )


def region_figure(data: ReportInput, region: str) -> str:
    """The fan chart of one region as an HTML fragment (no plotly.js)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    series = data.history[data.history["region"] == region].sort_values("week_start")
    series = series.tail(WEEKS_SHOWN)
    weeks = series["week_start"]
    if data.forecast is not None:
        mine = data.forecast.keys["region"] == region
        if mine.any():
            origin = data.forecast.keys.loc[mine, "origin"].iloc[0]
            future = pd.Series([origin + pd.Timedelta(weeks=h) for h in data.forecast.horizons])
            weeks = pd.concat([weeks, future], ignore_index=True)
    if data.channel is not None:
        limits = data.channel.limits(np.full(len(weeks), region), pd.DatetimeIndex(weeks))
        if limits["upper"].notna().any():
            _band(
                fig,
                weeks,
                limits["lower"].to_numpy(),
                limits["upper"].to_numpy(),
                CHANNEL_COLOUR,
                f"endemic channel ({data.channel.method})",
                "channel",
                True,
            )
            fig.add_trace(
                go.Scatter(
                    x=weeks,
                    y=limits["center"],
                    name="channel center",
                    line={"color": "#2e7d32", "dash": "dash", "width": 1},
                )
            )
    if data.backtest is not None:
        _add_forecast(fig, data.backtest, region, data.backtest_horizon, "backtest", dotted=True)
    fig.add_trace(
        go.Scatter(
            x=series["week_start"],
            y=series["cases"],
            name="observed",
            mode="lines+markers",
            marker={"size": 3},
            line={"color": "#1d2329", "width": 1.5},
        )
    )
    if data.forecast is not None:
        _add_forecast(fig, data.forecast, region, None, "forecast", dotted=False)
    fig.update_layout(
        title=region,
        height=330,
        margin={"l": 50, "r": 10, "t": 40, "b": 30},
        yaxis_title="cases per week",
        legend={"orientation": "h", "y": -0.15},
        template="plotly_white",
    )
    return str(fig.to_html(full_html=False, include_plotlyjs=False))


def _add_forecast(
    fig: Any,
    forecast: QuantileForecast,
    region: str,
    horizon: int | None,
    label: str,
    dotted: bool,
) -> None:
    """Median and 50/90 % bands: all horizons of the region's forecast, or one horizon of
    rolling forecasts (then x = target week)."""
    import plotly.graph_objects as go

    rows = np.flatnonzero((forecast.keys["region"] == region).to_numpy())
    if len(rows) == 0:
        return
    if horizon is None:
        row = rows[-1]
        origin = forecast.keys["origin"].iloc[row]
        x = pd.Series([origin + pd.Timedelta(weeks=h) for h in forecast.horizons])
        values = forecast.values[row]  # (horizons, levels)
    else:
        j = forecast.horizons.index(horizon)
        origins = forecast.keys["origin"].iloc[rows]
        x = (origins + pd.Timedelta(weeks=horizon)).reset_index(drop=True)
        values = forecast.values[rows, j, :]
        order = np.argsort(x.to_numpy())
        x, values = x.iloc[order].reset_index(drop=True), values[order]
    for width in (0.9, 0.5):
        lo = forecast.level_index(round((1 - width) / 2, 6))
        hi = forecast.level_index(round(1 - (1 - width) / 2, 6))
        _band(
            fig,
            x,
            values[:, lo],
            values[:, hi],
            BAND_COLOURS[width],
            f"{label} {int(width * 100)} %",
            f"{label}{width}",
            True,
        )
    median = values[:, forecast.level_index(0.5)]
    name = f"{label} median" + (f" ({horizon} wk ahead)" if horizon else "")
    fig.add_trace(
        go.Scatter(
            x=x,
            y=median,
            name=name,
            mode="lines+markers",
            marker={"size": 4},
            line={"color": "#1f6fb2", "dash": "dot" if dotted else "solid"},
        )
    )


def alerts_table(data: ReportInput) -> str:
    """HTML table of alert levels (one row per region, one column per horizon)."""
    if data.forecast is None or data.channel is None:
        return ""
    alerts = forecast_alerts(data.forecast, data.channel)
    pivot = alerts.pivot(index="region", columns="horizon", values=["level", "p_above_upper"])
    horizons = sorted(alerts["horizon"].unique())
    head = "".join(f"<th>week +{h}</th>" for h in horizons)
    rows = []
    for region in pivot.index:
        cells = []
        for h in horizons:
            level = str(pivot.loc[region, ("level", h)])
            p = pivot.loc[region, ("p_above_upper", h)]
            text = "–" if pd.isna(p) else f"{p:.0%}"
            colour = LEVEL_COLOURS.get(level, "#777")
            cells.append(
                f'<td><span class="pill" style="background:{colour}">{level}</span> {text}</td>'
            )
        rows.append(f"<tr><td>{html.escape(str(region))}</td>{''.join(cells)}</tr>")
    return (
        "<table><tr><th>region</th>" + head + "</tr>" + "".join(rows) + "</table>"
        "<p class='note'>P(cases &gt; upper limit of the endemic channel) per week ahead; "
        "alert ≥ 20 %, epidemic ≥ 50 %.</p>"
    )


def render_report(data: ReportInput) -> str:
    """The report page as a string (plotly.js inlined)."""
    from plotly.offline import get_plotlyjs

    text = importlib.resources.files("vigia.reports").joinpath(TEMPLATE).read_text("utf-8")
    template = jinja2.Environment(autoescape=True).from_string(text)
    regions = sorted(data.history["region"].astype(str).unique())
    return template.render(
        title=data.title,
        plotly_js=get_plotlyjs(),
        tables_html=data.tables_html,
        alerts_html=alerts_table(data),
        channel=data.channel,
        figures=[(region, region_figure(data, region)) for region in regions],
    )


def write_report(data: ReportInput, path: str | Path) -> Path:
    """Render the report and write it to ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(data), encoding="utf-8")
    return path
