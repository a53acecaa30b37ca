"""checkov (policy scan of rendered manifests, Terraform and Dockerfiles) and hadolint, run as
subprocesses of the infra venv. checkov runs offline: BC_SKIP_MAPPING=TRUE, --skip-download."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

CHECKOV_ENV = {"BC_SKIP_MAPPING": "TRUE", "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}


def tool(name: str) -> str:
    """Path of a console script installed beside this interpreter (the infra venv)."""
    return str(Path(sys.executable).parent / name)


def start_checkov(targets: list[str], frameworks: list[str]) -> subprocess.Popen[str]:
    """Start checkov on ``targets`` (``-d DIR`` / ``-f FILE`` arguments) in the background."""
    command = [
        tool("checkov"),
        *targets,
        "--framework",
        *frameworks,
        "--skip-download",
        "--output",
        "json",
        "--quiet",
        "--compact",
    ]
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **CHECKOV_ENV},
    )


def checkov_findings(
    process: subprocess.Popen[str], root: Path
) -> tuple[dict[str, int], list[str]]:
    """Wait for a checkov run; (passed/failed/skipped counts, one line per failed check or
    parsing error)."""
    stdout, stderr = process.communicate()
    try:
        reports = json_documents(stdout)
    except json.JSONDecodeError:
        return {}, [f"checkov output is not JSON (exit {process.returncode}): {stderr[-500:]}"]
    if not reports:
        return {}, [f"checkov printed no report (exit {process.returncode}): {stderr[-500:]}"]
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    problems = []
    for report in reports:
        summary = report.get("summary", {})
        for key in counts:
            counts[key] += int(summary.get(key, 0))
        for error in report.get("results", {}).get("parsing_errors", []):
            problems.append(f"checkov could not parse {relative(str(error), root)}")
        for check in report.get("results", {}).get("failed_checks", []):
            problems.append(
                f"checkov {check['check_id']} {check.get('check_name', '')}: "
                f"{relative(check.get('file_path', ''), root)} {check.get('resource', '')}"
            )
    problems = list(dict.fromkeys(problems))  # checkov repeats a report per scanned directory
    if process.returncode not in (0, 1):
        problems.append(f"checkov exited {process.returncode}: {stderr[-500:]}")
    return counts, problems


def json_documents(text: str) -> list[dict[str, Any]]:
    """Reports in checkov's JSON output: one object or list per scanned directory, concatenated."""
    decoder = json.JSONDecoder()
    reports: list[dict[str, Any]] = []
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return reports
        value, position = decoder.raw_decode(text, position)
        reports += value if isinstance(value, list) else [value]


def relative(path: str, root: Path) -> str:
    """``path`` shown relative to ``root`` when inside it."""
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return path


def hadolint_problems(dockerfiles: list[Path], root: Path) -> list[str]:
    """hadolint findings (warning level and above) on each Dockerfile."""
    problems = []
    for dockerfile in dockerfiles:
        done = subprocess.run(
            [tool("hadolint"), "--no-color", "--failure-threshold", "warning", str(dockerfile)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = (done.stdout + done.stderr).strip().splitlines() or ["failed"]
            problems += [f"hadolint {relative(str(dockerfile), root)}: {line}" for line in lines]
    return problems
