"""``vigia monitor run`` / ``vigia replay`` / ``vigia ui`` as a user runs them: one readable line
and exit 2 on bad input, a JSON status on success."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from vigia.workspace import Workspace

CUT_OFF = pd.Timestamp("2021-12-26")


def test_no_live_model_is_one_readable_line(cli, tmp_path: Path) -> None:
    result = cli(["--workspace", str(tmp_path / "ws"), "monitor", "run"])
    assert result.code == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"vigia: error: model 'dengue-forecast' has no live version in "
        f"{tmp_path / 'ws' / 'models'}: nothing to check"
    )
    assert "Traceback" not in result.stderr


def test_bad_config_and_bad_cut_off(cli, tmp_path: Path) -> None:
    bad = tmp_path / "m.toml"
    bad.write_text("[decision]\ndrift_share_warn = 2.0\n", encoding="utf-8")
    result = cli(["--workspace", str(tmp_path / "ws"), "monitor", "run", "--config", str(bad)])
    assert result.code == 2 and "drift_share_warn must be in (0, 1]" in result.stderr
    for cut_off, message in (("1990-01-01", "must fall inside the data"), ("soon", "not a date")):
        result = cli(["--workspace", str(tmp_path / "w2"), "replay", "--cut-off", cut_off])
        assert result.code == 2 and message in result.stderr
        assert "Traceback" not in result.stderr


def test_monitor_run_prints_the_status(
    cli, monitored_workspace: Workspace, serve_weeks: Callable[..., int]
) -> None:
    serve_weeks([CUT_OFF + pd.Timedelta(weeks=k) for k in range(1, 6)])
    result = cli(
        ["--workspace", str(monitored_workspace.root), "monitor", "run", "--json", "--no-retrain"]
    )
    assert result.code == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["as_of"] == "2022-01-30" and status["live_version"] == 1
    assert status["rows"] == 84 and status["drift_share"] is not None
    assert Path(status["report"]).exists()
