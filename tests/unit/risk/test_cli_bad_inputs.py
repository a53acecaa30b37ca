"""Malformed tabular input: one readable line on stderr, exit code 2, no traceback, nothing
registered or pushed. ``CLI_CASES`` run through the real ``vigia`` script; ``MORE_CASES`` run the
same option parsing and validation in-process (faster) and check the same messages."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from risk_helpers import readmission_csv_frame

from vigia.cli.main import build_parser
from vigia.cli.risk import task_from_args
from vigia.errors import VigiaError
from vigia.risk.ingest import ingest_risk
from vigia.risk.split import train_test
from vigia.workspace import Workspace


def _good() -> pd.DataFrame:
    return readmission_csv_frame(400)


def _csv(frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False)


def _with(**changes: Callable[[pd.DataFrame], pd.DataFrame]) -> str:
    frame = _good()
    for change in changes.values():
        frame = change(frame)
    return _csv(frame)


def _ragged() -> str:
    lines = _csv(_good()).splitlines()
    lines[5] += ",extra"
    return "\n".join(lines) + "\n"


def _duplicate_header() -> str:
    lines = _csv(_good()).splitlines()
    lines[0] = lines[0].replace("race", "gender")
    return "\n".join(lines) + "\n"


def _group_gap(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.astype({"patient_nbr": object})
    frame.loc[[3, 7], "patient_nbr"] = np.nan
    return frame


def _infinite(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame.loc[4, "num_medications"] = np.inf
    return frame


BASE = ["--target", "readmitted", "--positive", "<30", "--group-col", "patient_nbr"]
# (id, file content or None for no file, extra CLI arguments, expected words in the message)
CLI_CASES = [
    ("no-such-file", None, BASE, "file not found"),
    ("empty-file", "", BASE, "file is empty"),
    ("not-utf8", "gender,readmitted\n" + "caf\xe9,NO\n" * 200, BASE, "not UTF-8"),
    ("ragged-row", _ragged(), BASE, "different number of fields"),
    ("duplicate-column", _duplicate_header(), BASE, "appears more than once"),
    (
        "missing-target",
        _with(drop=lambda f: f.drop(columns="readmitted")),
        BASE,
        "missing target column 'readmitted'",
    ),
    ("constant-target", _with(c=lambda f: f.assign(readmitted="NO")), BASE, "is constant"),
    (
        "unknown-positive",
        _csv(_good()),
        ["--target", "readmitted", "--positive", "<15", "--group-col", "patient_nbr"],
        "positive label '<15' is not a value",
    ),
    (
        "three-classes-no-positive",
        _csv(_good()),
        ["--target", "readmitted"],
        "say which are positive with --positive",
    ),
    (
        "too-few-positives",
        _with(c=lambda f: f.assign(readmitted=["<30"] * 5 + ["NO"] * (len(f) - 5))),
        BASE,
        "only 5 positive rows",
    ),
    (
        "missing-group-column",
        _csv(_good()),
        ["--target", "readmitted", "--positive", "<30", "--group-col", "patient_id"],
        "missing group column 'patient_id'",
    ),
    (
        "bad-time-values",
        _with(t=lambda f: f.assign(visit=["2020-01-01"] * 399 + ["soon"])),
        [*BASE, "--time-col", "visit"],
        "neither numbers nor dates",
    ),
    (
        "test-period-empty",
        _with(t=lambda f: f.assign(visit="2020-01-01")),
        [*BASE, "--time-col", "visit", "--test-from", "2031-01-01"],
        "test set is empty",
    ),
]

MORE_CASES = [
    ("header-only", "gender,age,readmitted\n", BASE, "no data rows"),
    ("one-column", "readmitted\n" + "NO\n" * 200, BASE, "only one column"),
    ("empty-target", _with(c=lambda f: f.assign(readmitted="")), BASE, "empty in every row"),
    ("too-few-rows", _csv(_good().head(40)), BASE, "need at least 100"),
    ("empty-group-values", _with(g=_group_gap), BASE, "group column 'patient_nbr' is empty on"),
    ("infinite-number", _with(i=_infinite), BASE, "infinite values"),
    (
        "no-features-left",
        _with(k=lambda f: f[["patient_nbr", "readmitted"]].assign(encounter_id=range(len(f)))),
        BASE,
        "no feature columns left",
    ),
    (
        "unknown-slice-column",
        _csv(_good()),
        [*BASE, "--slice-cols", "sex"],
        "slice column 'sex' not found",
    ),
]


@pytest.mark.parametrize(
    ("content", "extra", "expected"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_malformed_csv_is_one_line_exit_2(
    cli,
    workspace: Workspace,
    tmp_path: Path,
    content: str | None,
    extra: list[str],
    expected: str,
) -> None:
    data = tmp_path / "table.csv"
    if content is not None:
        data.write_bytes(content.encode("latin-1") if "caf\xe9" in content else content.encode())
    result = cli(["risk", "train", "--data", str(data), *extra, "--out", str(tmp_path / "out")])
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vigia: error: ")
    assert expected in lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out").exists()
    assert not list(workspace.models.iterdir()), "nothing may be pushed"
    assert not list(workspace.pipeline_root.iterdir()), "no pipeline may start"


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--dataset", "no-such-data"], "unknown dataset 'no-such-data'"),
        (["--dataset", "readmission", "--target", "x"], "defines its own task; drop --target"),
        (["--data", "x.csv"], "--data needs --target"),
    ],
    ids=["unknown-dataset", "dataset-with-target", "csv-without-target"],
)
def test_bad_options_are_one_line_exit_2(
    cli, workspace: Workspace, tmp_path: Path, args: list[str], expected: str
) -> None:
    result = cli(["risk", "train", *args, "--out", str(tmp_path / "out")])
    assert result.code == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("vigia: error: ") and expected in lines[0]


@pytest.mark.parametrize(
    ("content", "extra", "expected"), [c[1:] for c in MORE_CASES], ids=[c[0] for c in MORE_CASES]
)
def test_more_malformed_csvs_fail_validation_with_one_line(
    tmp_path: Path, content: str, extra: list[str], expected: str
) -> None:
    data = tmp_path / "table.csv"
    data.write_text(content)
    args = build_parser().parse_args(["risk", "train", "--data", str(data), *extra, "--out", "x"])
    with pytest.raises(VigiaError) as err:
        prepared, _ = ingest_risk(str(data), task_from_args(args))
        train_test(prepared.table, prepared.task)
    message = str(err.value)
    assert expected in message and "\n" not in message
