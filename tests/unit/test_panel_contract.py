"""The weekly panel data contract: malformed CSVs give one readable line naming the problem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from vigia.data.contract import read_panel_csv, validate_panel
from vigia.errors import DataContractError

GOOD = "region,week_start,cases\nA,2021-01-03,1\nA,2021-01-10,0\nB,2021-01-03,5\nB,2021-01-10,7\n"

# (name, file content (str or bytes), words the one-line error must contain)
MALFORMED: list[tuple[str, str | bytes, tuple[str, ...]]] = [
    ("missing_column", "region,week_start\nA,2021-01-03\n", ("missing column", "cases")),
    (
        "wrong_type",
        "region,week_start,cases\nA,2021-01-03,abc\n",
        ("cases", "not a number", "line 2"),
    ),
    (
        "negative_cases",
        GOOD.replace("A,2021-01-10,0", "A,2021-01-10,-3"),
        ("cases", "negative", "line 3"),
    ),
    (
        "duplicate_region_week",
        GOOD + "A,2021-01-10,2\n",
        ("duplicate region-week", "A", "2021-01-10"),
    ),
    (
        "unparsable_date",
        GOOD.replace("2021-01-10,0", "2021-13-45,0"),
        ("week_start", "not a date", "line 3"),
    ),
    ("empty_file", "", ("empty",)),
    ("header_only", "region,week_start,cases\n", ("no data rows",)),
    ("ragged_row", GOOD + "C,2021-01-03,1,extra\n", ("malformed CSV", "line 6")),
    (
        "implausible_count",
        GOOD.replace(",7\n", ",1e300\n"),
        ("cases", "implausible weekly count 1e+300", "line 5"),
    ),
    ("excel_workbook", b"PK\x03\x04rest-of-a-zip", ("Excel workbook", "export")),
    ("infinite_value", GOOD.replace(",7\n", ",inf\n"), ("cases", "infinite", "line 5")),
    ("empty_region", GOOD.replace("B,2021-01-10", ",2021-01-10"), ("region", "empty", "line 5")),
    (
        "no_count_at_all",
        "region,week_start,cases\nA,2021-01-03,\nB,2021-01-03,\n",
        ("cases", "no reported count"),
    ),
    (
        "duplicate_header",
        "region,week_start,cases,cases\nA,2021-01-03,1,2\n",
        ("more than once", "cases"),
    ),
]


def _write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / f"{name}.csv"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def test_good_panel_is_typed_and_sorted(tmp_path: Path) -> None:
    panel = read_panel_csv(_write(tmp_path, "good", GOOD))
    assert list(panel.columns) == ["region", "week_start", "cases"]
    assert panel["week_start"].dtype == "datetime64[ns]"
    assert panel["cases"].tolist() == [1.0, 0.0, 5.0, 7.0]


def test_other_column_names_are_mapped(tmp_path: Path) -> None:
    text = "dept,fecha,casos,temp\nA,2021-01-03,1,20.5\nA,2021-01-10,2,\n"
    panel = read_panel_csv(_write(tmp_path, "named", text), "dept", "fecha", "casos")
    assert panel["cases"].sum() == 3
    assert panel["temp"].isna().sum() == 1  # covariates may have gaps


@pytest.mark.parametrize(("name", "content", "words"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_csv_names_the_problem(
    tmp_path: Path, name: str, content: str | bytes, words: tuple[str, ...]
) -> None:
    with pytest.raises(DataContractError) as info:
        read_panel_csv(_write(tmp_path, name, content))
    message = str(info.value)
    assert "\n" not in message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


def test_missing_file_and_folder(tmp_path: Path) -> None:
    with pytest.raises(DataContractError, match="file not found"):
        read_panel_csv(tmp_path / "nope.csv")
    with pytest.raises(DataContractError, match="is a folder"):
        read_panel_csv(tmp_path)


def test_validate_panel_accepts_typed_frames() -> None:
    frame = pd.DataFrame(
        {
            "region": ["X", "X"],
            "cases": [1, 2],
            "week_start": pd.to_datetime(["2022-01-02", "2022-01-09"]),
        }
    )
    assert validate_panel(frame)["cases"].tolist() == [1.0, 2.0]


def test_malformed_csv_at_the_cli_exits_2_with_one_line_and_changes_nothing(
    tmp_path: Path, cli, workspace
) -> None:
    """Through the real console script: exit 2, one line, no traceback, workspace untouched.
    Every third malformed file (each CLI start costs about a second of CPU; the message of every
    one is checked in process above)."""
    (workspace.models / "keep.txt").write_text("stored", encoding="utf-8")
    before = sorted(
        (p.relative_to(workspace.root), p.stat().st_mtime_ns) for p in workspace.root.rglob("*")
    )
    for number, (name, content, words) in enumerate(MALFORMED[::3]):
        bad = _write(tmp_path, name, content)
        # Both commands that read a panel, alternately (each CLI start costs seconds).
        command = (
            ["pipeline", "run", "training", "--source", str(bad)]
            if number % 2 == 0
            else ["forecast", "backtest", "--panel", str(bad), "--out", str(tmp_path / "out")]
        )
        result = cli(command)
        assert result.code == 2, (name, command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, (name, result.stderr)
        assert lines[0].startswith("vigia: error: ")
        assert "Traceback" not in result.stderr + result.stdout
        assert words[0] in lines[0]
    after = sorted(
        (p.relative_to(workspace.root), p.stat().st_mtime_ns) for p in workspace.root.rglob("*")
    )
    assert after == before
    assert not (tmp_path / "out").exists()
