"""The officials' dashboard in a real headless Chromium: it loads offline with no console error,
its charts are drawn, and a full-page screenshot is saved (under the test's tmp dir)."""

from __future__ import annotations

import json
import re
import struct
from pathlib import Path

from browser import load_page

from vigia.allocate.live import live_forecast
from vigia.workspace import Workspace

READY = (
    "document.querySelectorAll('#ranked-bars .main-svg').length > 0 && "
    "document.querySelectorAll('#fan-charts .scatterlayer .trace').length > 0"
)
CHECK = """JSON.stringify({
  bars: document.querySelectorAll('#ranked-bars .bars .point').length,
  fanPanels: document.querySelectorAll('#fan-charts .cartesianlayer .subplot').length,
  regionRows: document.querySelectorAll('#region-table tbody tr').length,
  allocationRows: document.querySelectorAll('#allocation-table tbody tr').length,
  header: document.querySelector('header').innerText,
  monitoring: document.querySelector('#card-monitoring').innerText,
  alerts: document.querySelector('#card-alerts').innerText,
  plotly: typeof Plotly === 'object' ? Plotly.version : null
})"""


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", header[16:24])


def test_dashboard_loads_in_chromium_without_errors(
    live_workspace: Workspace, cli, tmp_path: Path
) -> None:
    root = str(live_workspace.root)
    allocated = cli(
        [
            "--workspace",
            root,
            "allocate",
            "--resource",
            "test_kits",
            "--budget",
            "9000",
            "--floor-per-100k",
            "3",
        ]
    )
    assert allocated.code == 0, allocated.stderr
    status = live_workspace.reports / "monitoring" / "status.json"
    status.parent.mkdir(parents=True)
    status.write_text(
        json.dumps(
            {
                "checked_at": "2023-01-02T08:00:00+00:00",
                "drift_share": 0.25,
                "decision": "warn",
                "rolling_relative_wis": 0.91,
                "live_version": 1,
            }
        ),
        encoding="utf-8",
    )
    page = tmp_path / "dashboard.html"
    built = cli(["--workspace", root, "dashboard", "--out", str(page)])
    assert built.code == 0, built.stderr

    shot = tmp_path / "dashboard.png"
    report = load_page(page.as_uri(), shot, check=CHECK, ready=READY)

    assert report.errors == []
    offline = all(u.startswith(("file://", "data:")) for u in report.requests)
    assert report.requests and offline, (
        f"the page fetched something besides itself: {report.requests}"
    )
    seen = json.loads(report.check)
    assert seen["plotly"].startswith("2.")  # plotly.js inlined (plotly.py 5 ships plotly.js 2)
    assert seen["bars"] == 21 and seen["regionRows"] == 21 and seen["allocationRows"] == 21
    assert seen["fanPanels"] == 12
    assert "dengue-forecast v1 (persistence)" in seen["header"]
    assert "2022-12-25" in seen["header"]
    assert "warn" in seen["monitoring"] and "0.25" in seen["monitoring"]
    if getattr(live_forecast(live_workspace.models).forecaster, "endemic", None) is None:
        assert "not available in this model version" in seen["alerts"]
    else:  # levels of the 21 regions, counted on the alerts card
        counts = re.findall(r"(safety|alert|epidemic): (\d+)", seen["alerts"])
        assert len(counts) == 3 and sum(int(n) for _, n in counts) <= 21
    width, height = _png_size(shot)
    assert width == 1400 and height > 2500
    assert shot.stat().st_size > 100_000  # charts drawn, not a blank page


DISTRICT_CHECK = """(() => {
  const visible = () => Array.from(document.querySelectorAll('#region-table tbody tr'))
    .filter(r => r.style.display !== 'none').length;
  const all = visible();
  const search = document.getElementById('region-search');
  search.value = 'tumbes/zarumilla';
  search.dispatchEvent(new Event('input'));
  const searched = visible();
  search.value = '';
  search.dispatchEvent(new Event('input'));
  const department = document.getElementById('department-filter');
  department.value = 'PIURA';
  department.dispatchEvent(new Event('change'));
  return JSON.stringify({
    all, searched, piura: visible(),
    count: document.getElementById('region-count').innerText,
    departments: document.querySelectorAll('#department-table tbody tr').length,
    bars: document.querySelectorAll('#ranked-bars .bars .point').length,
    fanPanels: document.querySelectorAll('#fan-charts .cartesianlayer .subplot').length,
  });
})()"""


def test_district_dashboard_groups_by_department_and_searches(
    workspace: Workspace, cli, tmp_path: Path
) -> None:
    """541 districts: the ranked bars and fans show the top regions, a department table groups
    them, and the region table is searched and filtered by department in the browser."""
    from vigia.data.peru import peru_weekly_panel
    from vigia.registry.store import ModelStore
    from vigia.training import train_forecaster

    panel = peru_weekly_panel(level="district").panel
    train_forecaster(panel, "persistence", 0, tmp_path / "bundle", {"data_hash": "t"})
    ModelStore(workspace.models).push(
        "dengue-forecast", 1, tmp_path / "bundle",
        manifest_updates={"name": "dengue-forecast", "version": 1},
    )  # fmt: skip
    page = tmp_path / "dashboard.html"
    built = cli(["--workspace", str(workspace.root), "dashboard", "--out", str(page)])
    assert built.code == 0, built.stderr
    report = load_page(page.as_uri(), None, check=DISTRICT_CHECK, ready=READY)
    assert report.errors == []
    seen = json.loads(report.check)
    districts = panel["region"].unique()
    assert seen["all"] == len(districts) == 541
    zarumilla = [d for d in districts if d.lower().startswith("tumbes/zarumilla/")]
    assert seen["searched"] == len(zarumilla) > 0
    assert seen["piura"] == sum(d.startswith("PIURA/") for d in districts)
    assert seen["count"] == f"{seen['piura']} / 541"
    assert seen["departments"] == panel["region"].str.split("/").str[0].nunique()
    assert seen["bars"] == 40 and seen["fanPanels"] == 12
