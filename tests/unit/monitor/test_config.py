"""Monitoring thresholds: the packaged defaults, overrides, and readable errors."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vigia.errors import VigiaError
from vigia.monitor.config import MonitorConfig, load_monitor_config, parse_monitor_config


def test_packaged_config_matches_the_documented_defaults() -> None:
    config = load_monitor_config()
    assert config.weeks == 4 and config.performance_weeks == 8
    assert config.drift_share_warn < config.drift_share_retrain
    assert "woy_sin" in config.exclude
    assert config == MonitorConfig()  # the TOML and the dataclass say the same


def test_partial_file_keeps_other_defaults(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text("[decision]\ndrift_share_warn = 0.2\n[window]\nweeks = 6\n", encoding="utf-8")
    config = load_monitor_config(path)
    assert config.drift_share_warn == 0.2 and config.weeks == 6
    assert config.drift_share_retrain == MonitorConfig().drift_share_retrain


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[decision]\ndrift_share_warn = 'high'\n", "drift_share_warn must be float"),
        ("[decision]\nbogus = 1\n", "unknown key 'bogus'"),
        ("[nope]\nx = 1\n", "unknown section [nope]"),
        ("[window]\nweeks = 0\n", "weeks must be at least 1"),
        ("[decision]\ndrift_share_warn = 0.8\ndrift_share_retrain = 0.5\n", "below"),
        ("[drift]\nmethod = 'magic'\n", "method 'magic'"),
        ("[window\n", "invalid TOML"),
    ],
)
def test_bad_config_is_a_readable_error(text: str, message: str) -> None:
    with pytest.raises(VigiaError, match=re.escape(message)):
        parse_monitor_config(text)


def test_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(VigiaError, match=r"nowhere\.toml"):
        load_monitor_config(tmp_path / "nowhere.toml")
