"""Alert levels and the endemic channel on the dashboard, from the forecaster's own channel."""

from __future__ import annotations

import pandas as pd

from vigia.allocate.live import live_forecast
from vigia.forecasts.endemic import endemic_channel, forecast_alerts
from vigia.reports.dashboard import (
    ALERT_RANK,
    DashboardData,
    alert_levels,
    fan_charts,
    region_summary,
)
from vigia.workspace import Workspace


def test_alert_level_is_the_worst_of_the_coming_weeks(
    live_workspace: Workspace, peru_panel: pd.DataFrame
) -> None:
    live = live_forecast(live_workspace.models)
    live.forecaster.endemic = endemic_channel(peru_panel)
    alerts, note = alert_levels(live, 2)
    assert alerts is not None and len(alerts) == 21
    assert "worst of the next 2 weeks" in note
    every = forecast_alerts(live.forecast, live.forecaster.endemic)
    every = every[every["horizon"] <= 2]
    for row in alerts.itertuples(index=False):
        levels = every.loc[every["region"] == row.region, "level"]
        assert ALERT_RANK[row.alert_level] == max(ALERT_RANK[v] for v in levels)

    regions = region_summary(live, 2, None).merge(alerts, on="region")
    data = DashboardData(live, 2, regions, note, None, "", None, "")
    names = {trace.name for trace in fan_charts(data).data}
    assert "canal endémico (límite superior) · endemic channel upper limit" in names
