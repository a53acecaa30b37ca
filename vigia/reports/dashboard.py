"""The officials' dashboard: one self-contained HTML page (plotly inlined, works offline).

What it shows: expected cases per region over the next weeks (ranked bars with 90 % ranges and
the alert level where the model provides one), fan charts, the allocation table, the latest
monitoring status, the model version, its gate decision and the data date. Labels are in Spanish
and English.

:func:`collect_dashboard` gathers everything from a workspace; :func:`render_dashboard` turns it
into HTML without touching disk; :func:`write_dashboard` does both and writes the file.
"""

from __future__ import annotations

import importlib.resources
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.allocate.live import FORECAST_MODEL, LiveForecast, live_forecast
from vigia.allocate.plan import window_demand
from vigia.files import write_atomic
from vigia.workspace import Workspace

FAN_REGIONS = 12  # fan charts for the regions with the most expected cases
BAR_REGIONS = 40  # ranked bars: at most this many regions
OBSERVED_WEEKS = 26  # observed weeks shown before the forecast in fan charts
ALERT_COLOURS = {"safety": "#2e7d32", "alert": "#f9a825", "epidemic": "#c62828"}
ALERT_RANK = {"unknown": -1, "safety": 0, "alert": 1, "epidemic": 2}
NO_ALERT_COLOUR = "#1f6fb2"
ALERTS_UNAVAILABLE = "alerts: not available in this model version"
MONITORING_STATUS = ("monitoring", "status.json")


@dataclass
class AllocationRequest:
    """An allocation to compute while building the dashboard."""

    resource: str
    budget: float
    floor_per_100k: float = 0.0
    resources_file: Path | None = None


@dataclass
class DashboardData:
    """Everything the page shows, gathered and computed (no HTML yet)."""

    live: LiveForecast
    weeks: int
    regions: pd.DataFrame  # one row per region: expected cases, range, alert, incidence
    alerts_note: str
    allocation: dict[str, Any] | None
    allocation_note: str
    monitoring: dict[str, Any] | None
    monitoring_note: str
    generated_at: str = field(
        default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds")
    )


# --- gathering -----------------------------------------------------------------------------------
def read_monitoring_status(workspace: Workspace) -> tuple[dict[str, Any] | None, str]:
    """The monitoring engineer's latest ``status.json``, or why there is none."""
    path = workspace.reports.joinpath(*MONITORING_STATUS)
    if not path.exists():
        return None, "no monitoring check yet · aún no hay control de monitoreo"
    try:
        status = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"monitoring status unreadable ({type(exc).__name__}: {exc})"
    if not isinstance(status, dict):
        return None, "monitoring status unreadable (not a JSON object)"
    return status, f"checked at {status.get('checked_at', '?')}"


def alert_levels(live: LiveForecast, weeks: int) -> tuple[pd.DataFrame | None, str]:
    """Worst alert level per region over the next ``weeks`` weeks, where the model has one.

    The alert compares the forecast with the endemic channel the forecaster carries
    (``forecaster.endemic``, see :mod:`vigia.forecasts.endemic`). Returns a frame (``region``,
    ``alert_level``, ``alert_probability`` = largest probability of exceeding the channel's upper
    limit) or None with the reason shown on the page.
    """
    channel = getattr(live.forecaster, "endemic", None)
    if channel is None:
        return None, ALERTS_UNAVAILABLE
    from vigia.forecasts.endemic import forecast_alerts

    alerts = forecast_alerts(live.forecast, channel)
    alerts = alerts[alerts["horizon"] <= weeks]
    rank = alerts["level"].map(ALERT_RANK).fillna(-1)
    worst = (
        alerts.assign(rank=rank).sort_values(["rank", "p_above_upper"]).groupby("region").tail(1)
    )
    frame = pd.DataFrame(
        {
            "region": worst["region"].to_numpy(),
            "alert_level": worst["level"].to_numpy(),
            "alert_probability": worst["p_above_upper"].to_numpy(),
        }
    )
    return frame, (
        f"nivel de alerta: el peor de las próximas {weeks} semanas · alert level: worst of the "
        f"next {weeks} weeks (P(cases > endemic channel upper limit, {channel.method}) ≥ 0.2: "
        "alert, ≥ 0.5: epidemic)"
    )


def region_summary(live: LiveForecast, weeks: int, population: pd.Series | None) -> pd.DataFrame:
    """Expected cases (median and 90 % range) over the next ``weeks`` weeks per region."""
    demand = window_demand(live.forecast, weeks, 1.0)
    recent_first = live.history["week_start"].max() - pd.Timedelta(weeks=weeks - 1)
    recent = (
        live.history[live.history["week_start"] >= recent_first].groupby("region")["cases"].sum()
    )
    frame = pd.DataFrame(
        {
            "region": demand.regions,
            "expected": demand.quantile(0.5),
            "low": demand.quantile(0.05),
            "high": demand.quantile(0.95),
            "recent": recent.reindex(demand.regions, fill_value=0.0).to_numpy(),
        }
    )
    people = (
        population.reindex(frame["region"]).to_numpy()
        if population is not None
        else np.full(len(frame), np.nan)
    )
    frame["population"] = people
    frame["per_100k"] = frame["expected"] / frame["population"] * 1e5
    return frame.sort_values("expected", ascending=False, ignore_index=True)


def department_summary(regions: pd.DataFrame) -> pd.DataFrame | None:
    """Per department (the first part of ``DEPARTMENT/PROVINCE[/DISTRICT]`` region names):
    regions, recent and expected cases (sums of the regions' medians), the regions on alert,
    sorted by expected cases; ``None`` for department-level (or other flat) region names."""
    names = regions["region"].astype(str)
    if not names.str.contains("/", regex=False).all():
        return None
    frame = regions.assign(department=names.str.split("/", n=1).str[0])
    grouped = frame.groupby("department", sort=False)
    summary = pd.DataFrame(
        {
            "regions": grouped.size(),
            "recent": grouped["recent"].sum(),
            "expected": grouped["expected"].sum(),
            "top_region": grouped["region"].first().str.split("/", n=1).str[1],
        }
    )
    if "alert_level" in frame:
        on_alert = frame["alert_level"].isin(["alert", "epidemic"])
        summary["on_alert"] = on_alert.groupby(frame["department"]).sum()
    return summary.sort_values("expected", ascending=False).reset_index()


def _latest_allocation(workspace: Workspace, live: LiveForecast) -> tuple[dict | None, str]:
    path = workspace.reports / "allocation" / "allocation.json"
    if not path.exists():
        return None, (
            "no allocation yet: run `vigia allocate --resource NAME --budget N` · "
            "aún no hay asignación"
        )
    try:
        plan = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        return None, f"latest allocation unreadable ({type(exc).__name__})"
    made_with = plan.get("model", {}).get("version")
    note = f"latest plan from `vigia allocate` (forecast origin {plan.get('forecast_origin')})"
    if made_with != live.manifest.get("version"):
        note += (
            f"; made with model version {made_with}, the live version is "
            f"{live.manifest.get('version')} — rerun `vigia allocate`"
        )
    return plan, note


def collect_dashboard(
    workspace: Workspace,
    model: str = FORECAST_MODEL,
    weeks: int = 4,
    allocation: AllocationRequest | None = None,
    population_file: Path | None = None,
    models_root: Path | None = None,
) -> DashboardData:
    """Gather the live forecast, alerts, allocation and monitoring status of a workspace.

    ``models_root`` overrides the model store (default ``workspace.models``).
    """
    from vigia.allocate.population import load_population

    live = live_forecast(models_root or workspace.models, model)
    population = load_population(population_file)
    regions = region_summary(live, weeks, population)
    alerts, alerts_note = alert_levels(live, weeks)
    if alerts is not None:
        regions = regions.merge(alerts, on="region", how="left")
    if allocation is not None:
        from vigia.allocate.plan import plan_allocation
        from vigia.allocate.resources import get_resource

        plan = plan_allocation(
            live.forecast,
            get_resource(allocation.resource, allocation.resources_file),
            allocation.budget,
            population,
            weeks,
            allocation.floor_per_100k,
        )
        plan.meta.update(live.meta())
        plan_doc: dict[str, Any] | None = json.loads(json.dumps(plan.to_dict(), default=str))
        plan_note = "computed for this dashboard"
    else:
        plan_doc, plan_note = _latest_allocation(workspace, live)
    status, status_note = read_monitoring_status(workspace)
    return DashboardData(
        live=live,
        weeks=weeks,
        regions=regions,
        alerts_note=alerts_note,
        allocation=plan_doc,
        allocation_note=plan_note,
        monitoring=status,
        monitoring_note=status_note,
    )


# --- figures -------------------------------------------------------------------------------------
def _figure_html(fig: Any, element_id: str) -> str:
    import plotly.io as pio

    return str(
        pio.to_html(
            fig,
            full_html=False,
            include_plotlyjs=False,
            div_id=element_id,
            config={"displaylogo": False, "responsive": True},
        )
    )


def ranked_bars(data: DashboardData) -> Any:
    """Horizontal bars of expected cases per region, 90 % range, coloured by alert level."""
    import plotly.graph_objects as go

    frame = data.regions.head(BAR_REGIONS).iloc[::-1]
    if "alert_level" in frame:
        colours = [ALERT_COLOURS.get(str(a), NO_ALERT_COLOUR) for a in frame["alert_level"]]
    else:
        colours = [NO_ALERT_COLOUR] * len(frame)
    fig = go.Figure(
        go.Bar(
            x=frame["expected"],
            y=frame["region"],
            orientation="h",
            marker_color=colours,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": frame["high"] - frame["expected"],
                "arrayminus": frame["expected"] - frame["low"],
                "color": "#555",
            },
            customdata=np.column_stack([frame["low"], frame["high"], frame["per_100k"]]),
            hovertemplate="%{y}: %{x:,.0f} (90%: %{customdata[0]:,.0f}–%{customdata[1]:,.0f}); "
            "%{customdata[2]:.1f} / 100k<extra></extra>",
        )
    )
    fig.update_layout(
        title=f"Casos esperados, próximas {data.weeks} semanas · "
        f"Expected cases, next {data.weeks} weeks (median, 90% range)",
        height=max(320, 22 * len(frame) + 120),
        margin={"l": 130, "r": 20, "t": 60, "b": 40},
        xaxis_title="casos · cases",
        template="plotly_white",
    )
    return fig


def fan_charts(data: DashboardData) -> Any:
    """Observed weeks, then the forecast median with 50 % and 90 % bands, per top region."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    forecast, history = data.live.forecast, data.live.history
    channel = getattr(data.live.forecaster, "endemic", None)
    regions = data.regions["region"].head(FAN_REGIONS).tolist()
    cols = 3
    rows = -(-len(regions) // cols)
    spacing = min(0.3, 85 / (250 * rows + 90))  # ~85 px between rows, whatever their number
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=regions, vertical_spacing=spacing)
    band = {q: forecast.level_index(q) for q in (0.05, 0.25, 0.5, 0.75, 0.95)}
    keys = forecast.keys.reset_index(drop=True)
    for n, region in enumerate(regions):
        r, c = n // cols + 1, n % cols + 1
        seen = history[history["region"] == region].tail(OBSERVED_WEEKS)
        i = int(np.flatnonzero(keys["region"].to_numpy() == region)[-1])
        origin = keys.loc[i, "origin"]
        weeks = [origin + pd.Timedelta(weeks=h) for h in forecast.horizons]
        values = forecast.values[i]
        last = float(seen["cases"].iloc[-1]) if len(seen) else 0.0

        def series(q: float, values: np.ndarray = values, last: float = last) -> list[float]:
            return [last, *values[:, band[q]].tolist()]

        x = [origin, *weeks]
        show = n == 0
        for lo, hi, colour, name in (
            (0.05, 0.95, "rgba(31,111,178,0.18)", "90%"),
            (0.25, 0.75, "rgba(31,111,178,0.38)", "50%"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=series(hi),
                    mode="lines",
                    line={"width": 0},
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=series(lo),
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=colour,
                    name=f"intervalo {name} · {name} interval",
                    legendgroup=name,
                    showlegend=show,
                    hoverinfo="skip",
                ),
                row=r,
                col=c,
            )
        fig.add_trace(
            go.Scatter(
                x=seen["week_start"],
                y=seen["cases"],
                mode="lines+markers",
                marker={"size": 3},
                line={"color": "#222", "width": 1.5},
                name="observado · observed",
                legendgroup="obs",
                showlegend=show,
            ),
            row=r,
            col=c,
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=series(0.5),
                mode="lines",
                line={"color": "#1f6fb2", "width": 2},
                name="mediana · median",
                legendgroup="med",
                showlegend=show,
            ),
            row=r,
            col=c,
        )
        if channel is not None:
            shown = pd.DatetimeIndex([*seen["week_start"], *weeks])
            upper = channel.limits(np.full(len(shown), region), shown)["upper"]
            fig.add_trace(
                go.Scatter(
                    x=shown,
                    y=upper,
                    mode="lines",
                    line={"color": "#c62828", "width": 1, "dash": "dash"},
                    name="canal endémico (límite superior) · endemic channel upper limit",
                    legendgroup="channel",
                    showlegend=show,
                ),
                row=r,
                col=c,
            )
    fig.update_layout(
        title="Pronóstico por región · Forecast by region (top regions by expected cases)",
        height=250 * rows + 90,
        margin={"l": 40, "r": 20, "t": 90, "b": 30},
        template="plotly_white",
        legend={"orientation": "h", "y": 1.02 + 0.6 / rows, "x": 0},
    )
    fig.update_annotations(font_size=12)
    return fig


# --- page ----------------------------------------------------------------------------------------
def _epi_week(day: str | None) -> str:
    if not day:
        return "?"
    import epiweeks

    week = epiweeks.Week.fromdate(pd.Timestamp(day).date())
    return f"{week.year}-W{week.week:02d}"


def _gate(manifest: dict[str, Any]) -> dict[str, Any]:
    decision = manifest.get("decision")
    if not isinstance(decision, dict):
        return {"approved": None, "reasons": ["no gate decision recorded with this version"]}
    return {"approved": bool(decision.get("approved")), "reasons": decision.get("reasons", [])}


def render_dashboard(data: DashboardData) -> str:
    """The page as one HTML string with plotly's JavaScript inlined."""
    import jinja2
    from plotly.offline import get_plotlyjs

    manifest = data.live.manifest
    template_text = (importlib.resources.files("vigia.reports") / "dashboard.html.j2").read_text(
        encoding="utf-8"
    )
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    env.filters["num"] = lambda v, d=0: "–" if v is None or pd.isna(v) else f"{v:,.{d}f}"
    page = env.from_string(template_text)
    last_week = manifest.get("last_week")
    regions = data.regions.replace({np.nan: None}).to_dict(orient="records")
    departments = department_summary(data.regions)
    return page.render(
        departments=None if departments is None else departments.to_dict(orient="records"),
        plotly_js=get_plotlyjs(),
        bars=_figure_html(ranked_bars(data), "ranked-bars"),
        fans=_figure_html(fan_charts(data), "fan-charts"),
        model=data.live.model_label,
        manifest=manifest,
        gate=_gate(manifest),
        data_date=last_week,
        data_epiweek=_epi_week(last_week),
        weeks=data.weeks,
        regions=regions,
        has_alerts="alert_level" in data.regions,
        alerts_note=data.alerts_note,
        alert_colours=ALERT_COLOURS,
        allocation=data.allocation,
        allocation_note=data.allocation_note,
        monitoring=data.monitoring,
        monitoring_note=data.monitoring_note,
        generated_at=data.generated_at,
    )


def write_dashboard(
    workspace: Workspace,
    out: Path,
    model: str = FORECAST_MODEL,
    weeks: int = 4,
    allocation: AllocationRequest | None = None,
    population_file: Path | None = None,
    models_root: Path | None = None,
) -> dict[str, Any]:
    """Build the dashboard of ``workspace`` into ``out``; return a one-line summary per part."""
    data = collect_dashboard(workspace, model, weeks, allocation, population_file, models_root)
    write_atomic(Path(out), render_dashboard(data))
    plan = data.allocation
    return {
        "model": data.live.model_label,
        "data_date": data.live.manifest.get("last_week"),
        "alerts": data.alerts_note,
        "monitoring": data.monitoring_note,
        "allocation": (
            f"{plan['resource']['name']}, budget {plan['budget']:,} ({data.allocation_note})"
            if plan
            else data.allocation_note
        ),
    }
