"""The versioned model store: atomic pushes and pointer switches, immutable versions.

These bundles are stand-ins for the store's file mechanics (``check=False``); the load-and-query
check on real bundles is in ``tests/unit/registry/test_load_and_query.py``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vigia.errors import NotFoundError
from vigia.registry import store as store_module
from vigia.registry.store import ModelStore


def _bundle(folder: Path, marker: str) -> Path:
    folder.mkdir(parents=True)
    (folder / "vigia-model.json").write_text(json.dumps({"kind": "forecaster"}), "utf-8")
    (folder / "weights.bin").write_text(marker, "utf-8")
    return folder


def test_push_switches_current_and_records_manifest(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.push(
        "m", 1, _bundle(tmp_path / "b1", "one"), manifest_updates={"version": 1}, check=False
    )
    store.push(
        "m", 2, _bundle(tmp_path / "b2", "two"), manifest_updates={"version": 2}, check=False
    )
    assert store.current("m") == 2
    assert store.versions("m") == [1, 2]
    assert json.loads((store.current_dir("m") / "vigia-model.json").read_text())["version"] == 2
    store.set_current("m", 1)
    assert (store.current_dir("m") / "weights.bin").read_text() == "one"
    assert store.names() == ["m"]


def test_versions_are_immutable(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    store.push("m", 1, _bundle(tmp_path / "b1", "one"), check=False)
    store.push("m", 1, _bundle(tmp_path / "other", "changed"), check=False)
    assert (store.version_dir("m", 1) / "weights.bin").read_text() == "one"


def test_crash_mid_push_leaves_the_previous_version_live(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ModelStore(tmp_path / "models")
    store.push("m", 1, _bundle(tmp_path / "b1", "one"), check=False)
    pointer_before = (store.model_dir("m") / "CURRENT").read_bytes()

    def crash(folder: Path) -> None:  # the disk fails after the copy, before the rename
        raise OSError("disk full")

    monkeypatch.setattr(store_module, "_fsync_tree", crash)
    with pytest.raises(OSError, match="disk full"):
        store.push("m", 2, _bundle(tmp_path / "b2", "two"), check=False)
    assert store.current("m") == 1
    assert (store.model_dir("m") / "CURRENT").read_bytes() == pointer_before
    assert store.versions("m") == [1]
    assert sorted(p.name for p in store.model_dir("m").iterdir()) == ["1", "CURRENT"]


def test_pointer_to_a_missing_version_is_refused(tmp_path: Path) -> None:
    store = ModelStore(tmp_path / "models")
    with pytest.raises(NotFoundError):
        store.set_current("m", 3)
    with pytest.raises(NotFoundError):
        store.current_dir("m")
    assert store.current("m") is None
