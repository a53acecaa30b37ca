"""The CLI's contract for scripts: ``--json`` prints exactly one JSON document on stdout (all
progress on stderr) and the exit codes say what happened: 0 success, 1 runtime failure, 2 bad
input or usage, 3 the gate refused the candidate (``vigia --help``, README)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from vigia.cli.common import refuse_unless_approved
from vigia.cli.main import build_parser
from vigia.cli.output import json_stdout, print_json
from vigia.errors import (
    EXIT_CODES,
    DataContractError,
    GateRefusedError,
    NotFoundError,
    RuntimeFailure,
    VigiaError,
    exit_on_user_error,
)
from vigia.serving.process import free_ports
from vigia.workspace import Workspace


def _one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    assert lines[0].startswith("vigia: error: "), lines[0]
    return lines[0]


def test_a_json_command_prints_one_document(live_workspace: Workspace, cli) -> None:
    plan = cli(["allocate", "--resource", "test_kits", "--budget", "8000", "--json"])
    assert plan.code == 0, plan.stderr
    assert json.loads(plan.stdout)["allocated"] <= 8000  # the whole stdout is the document


def test_notes_of_a_json_command_go_to_stderr(live_models: Path, tmp_path: Path, cli) -> None:
    ws = shutil.copytree(live_models.parent, tmp_path / "ws")  # its registry and store
    down = f"http://127.0.0.1:{free_ports(1)[0]}"
    listed = cli(["--workspace", str(ws), "models", "list", "--json", "--serving-url", down])
    assert listed.code == 0, listed.stderr
    assert [(row["version"], row["live"]) for row in json.loads(listed.stdout)] == [(1, True)]
    assert f"server {down} not reachable" in listed.stderr


COMMAND = """
import logging, subprocess, sys
from vigia.cli.output import json_stdout, print_json

logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
with json_stdout(True):
    print("▶ progress …")
    logging.info("a library line")
    subprocess.run([sys.executable, "-c", "print('a pipeline step')"], check=True)
    print_json({"approved": True, "path": sys.argv[0]})
    try:
        print_json({})
    except RuntimeError as error:
        print(error)
print_json([1])
"""


def test_json_mode_sends_every_other_write_to_stderr() -> None:
    """Progress lines, a logger set up on stdout before the command and a child process all end
    up on stderr; the document alone on stdout, once (a real process: its file descriptors)."""
    done = subprocess.run(
        [sys.executable, "-c", COMMAND], capture_output=True, text=True, timeout=120, check=True
    )
    documents = done.stdout.split("\n[")  # the one of the --json command, then one without
    assert json.loads(documents[0]) == {"approved": True, "path": "-c"}
    assert json.loads("[" + documents[1]) == [1]
    assert done.stderr.splitlines() == [
        "▶ progress …",
        "a library line",
        "a pipeline step",
        "a --json command printed a second document",
    ]


def test_bad_input_exits_2_with_one_line(live_workspace: Workspace, cli) -> None:
    bad = cli(["allocate", "--resource", "test_kits", "--budget", "1000", "--floor-per-100k",
               "10", "--json"])  # fmt: skip
    assert bad.code == 2 and bad.stdout == ""
    assert "the equity floor alone needs" in _one_error_line(bad.stderr)


def test_an_unreachable_service_exits_1_with_one_line(cli) -> None:
    host = f"http://127.0.0.1:{free_ports(1)[0]}"
    result = cli(["pipeline", "submit", "training", "--host", host], env={"KFP_TOKEN": "t"})
    assert result.code == 1, result.stderr
    assert f"cannot reach the KFP API at {host}" in _one_error_line(result.stderr)


def _exit_code(error: Exception) -> int:
    with pytest.raises(SystemExit) as stop, exit_on_user_error("vigia"):
        raise error
    return int(stop.value.code)


def test_one_mapping_from_errors_to_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert _exit_code(VigiaError("x")) == _exit_code(DataContractError("x")) == 2
    assert _exit_code(NotFoundError("x")) == 2
    assert _exit_code(RuntimeFailure("x")) == 1
    assert _exit_code(GateRefusedError("x")) == 3
    assert capsys.readouterr().err.splitlines() == ["vigia: error: x"] * 5
    epilog = build_parser().epilog or ""
    for code, meaning in EXIT_CODES.items():
        assert f"  {code}  {meaning}" in epilog


def test_a_refused_candidate_exits_3_after_printing_its_outcome(
    capfd: pytest.CaptureFixture[str],
) -> None:
    """What ``pipeline run training --json`` and ``risk train --json`` do with a run whose gate
    said no (the run itself: tests/pipelines/test_risk_pipeline.py, strict gate)."""
    refused = {"approved": False, "reasons": ["relative WIS 1.31 > 1.10"]}
    outcome = {"version": 2, "pushed": False, "decision": refused}
    refuse_unless_approved({**outcome, "decision": {"approved": True, "reasons": []}})
    with pytest.raises(SystemExit) as stop, exit_on_user_error("vigia"), json_stdout(True):
        print_json(outcome)
        refuse_unless_approved(outcome)
    assert stop.value.code == 3
    out, err = capfd.readouterr()
    assert json.loads(out) == outcome
    assert _one_error_line(err) == (
        "vigia: error: the gate refused version 2, not pushed: relative WIS 1.31 > 1.10"
    )
