"""The data source's fingerprint (what keys the ingest step's cache) follows the content, not the
path; a gs:// source is recognised and a bad one named in one line."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigia.data.sources import is_object_uri, local_source, source_fingerprint
from vigia.errors import VigiaError

PANEL = "region,week_start,cases\nPIURA,2024-01-07,3\nPIURA,2024-01-14,5\n"


def test_the_fingerprint_follows_the_content_at_one_path(tmp_path: Path) -> None:
    csv = tmp_path / "panel.csv"
    csv.write_text(PANEL, encoding="utf-8")
    first = source_fingerprint(str(csv))
    assert first.startswith("sha256:") and source_fingerprint(str(csv)) == first
    csv.write_text(PANEL.replace(",5", ",6"), encoding="utf-8")  # same path, one count changed
    assert source_fingerprint(str(csv)) != first
    moved = tmp_path / "elsewhere.csv"
    csv.rename(moved)
    moved.write_text(PANEL, encoding="utf-8")
    assert source_fingerprint(str(moved)) == first  # the same data under another name


def test_the_bundled_peru_source_has_a_stable_fingerprint() -> None:
    found = source_fingerprint("peru")
    assert found.startswith("sha256:") and len(found) == len("sha256:") + 64
    assert source_fingerprint("peru") == found


def test_bad_sources_are_named_in_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.csv"
    with pytest.raises(VigiaError, match=r"nope\.csv: no such file") as caught:
        source_fingerprint(str(missing))
    assert "\n" not in str(caught.value)
    for uri in ("gs://", "gs://bucket", "gs://bucket/folder/"):
        with pytest.raises(VigiaError, match="not an object URI"):
            source_fingerprint(uri)


def test_object_uris_are_recognised_and_local_paths_pass_through(tmp_path: Path) -> None:
    assert is_object_uri("gs://vigia-data/panels/peru.csv")
    assert not is_object_uri("/data/gs://x.csv") and not is_object_uri("peru")
    assert local_source("peru", tmp_path) == "peru"
    assert local_source("/data/panel.csv", tmp_path) == "/data/panel.csv"
    assert list(tmp_path.iterdir()) == []  # nothing downloaded
