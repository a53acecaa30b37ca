"""Dashboard data and page, in-process, on a real live model store."""

from __future__ import annotations

import json

import pytest

from vigia.reports.dashboard import (
    ALERTS_UNAVAILABLE,
    AllocationRequest,
    collect_dashboard,
    read_monitoring_status,
    render_dashboard,
)
from vigia.workspace import Workspace


def test_page_without_monitoring_or_allocation_says_so(live_workspace: Workspace) -> None:
    data = collect_dashboard(live_workspace, weeks=3)
    if getattr(data.live.forecaster, "endemic", None) is None:
        assert data.alerts_note == ALERTS_UNAVAILABLE
    else:
        assert "worst of the next 3 weeks" in data.alerts_note
        assert set(data.regions["alert_level"]) <= {"safety", "alert", "epidemic", "unknown"}
    assert data.monitoring is None and data.allocation is None
    assert len(data.regions) == 21
    ranked = data.regions["expected"].to_numpy()
    assert (ranked[:-1] >= ranked[1:]).all()
    assert (data.regions["low"] <= data.regions["expected"]).all()
    assert (data.regions["expected"] <= data.regions["high"]).all()
    html = render_dashboard(data)
    assert "no monitoring check yet" in html and "no allocation yet" in html
    assert "próximas 3 semanas" in html and "(2022-W52)" in html
    assert "PASS WIS relative to persistence" in html  # the gate decision pushed with the model


def test_unreadable_monitoring_status_is_shown_not_fatal(live_workspace: Workspace) -> None:
    status = live_workspace.reports / "monitoring" / "status.json"
    status.parent.mkdir(parents=True)
    status.write_text('{"checked_at": "2023-01-0', encoding="utf-8")
    found, note = read_monitoring_status(live_workspace)
    assert found is None and note.startswith("monitoring status unreadable (JSONDecodeError")
    assert note in render_dashboard(collect_dashboard(live_workspace))


def test_a_plan_from_another_model_version_is_flagged(live_workspace: Workspace) -> None:
    data = collect_dashboard(live_workspace, allocation=AllocationRequest("test_kits", 4000))
    assert data.allocation is not None and data.allocation["allocated"] == 4000
    old = {**data.allocation, "model": {"version": 7}}
    folder = live_workspace.reports / "allocation"
    folder.mkdir(parents=True)
    (folder / "allocation.json").write_text(json.dumps(old), encoding="utf-8")
    again = collect_dashboard(live_workspace)
    assert "made with model version 7, the live version is 1" in again.allocation_note


def test_bad_allocation_request_is_a_user_error(live_workspace: Workspace) -> None:
    from vigia.errors import VigiaError

    with pytest.raises(VigiaError, match="--weeks must be between 1 and 4"):
        collect_dashboard(live_workspace, weeks=6)
