"""The one atomic-write helper and the one config loader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigia.configs import config_text, parse_toml, read_toml
from vigia.errors import NotFoundError, VigiaError
from vigia.files import write_atomic, write_json_atomic


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "status.json"
    write_json_atomic(target, {"a": 1})
    write_json_atomic(target, {"a": 2, "when": Path("x")})  # non-JSON values become strings
    assert json.loads(target.read_text()) == {"a": 2, "when": "x"}
    assert target.stat().st_mode & 0o777 == 0o644
    assert [p.name for p in target.parent.iterdir()] == ["status.json"]


def test_a_failed_atomic_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "metrics.prom"
    write_atomic(target, b"old\n")
    with pytest.raises(TypeError):
        write_atomic(target, 42)  # type: ignore[arg-type]
    assert target.read_bytes() == b"old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.prom"]


def test_config_errors_are_one_line_naming_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "gates.toml"
    bad.write_text("[forecast\nmax = 1\n", encoding="utf-8")
    with pytest.raises(VigiaError, match=rf"^{bad}: not valid TOML \(invalid TOML syntax: .*\)$"):
        read_toml(bad, "gates.toml", "gate config")
    with pytest.raises(NotFoundError, match=r"^gate config .*nowhere\.toml: No such file"):
        config_text(tmp_path / "nowhere.toml", "gates.toml", "gate config")
    (tmp_path / "latin1.toml").write_bytes("a = 'añ'".encode("latin-1"))
    with pytest.raises(VigiaError, match="not UTF-8 text"):
        config_text(tmp_path / "latin1.toml", "gates.toml", "gate config")
    with pytest.raises(VigiaError) as caught:
        parse_toml("x = \n", "monitor.toml")
    assert "\n" not in str(caught.value)


def test_shipped_configs_are_read_by_name() -> None:
    gates, label = read_toml(None, "gates.toml", "gate config")
    assert label == "gates.toml" and {"forecast", "risk"} <= set(gates)
    resources, _ = read_toml(None, "resources.toml", "resource file", package="vigia.allocate")
    assert "test_kits" in resources["resources"]
