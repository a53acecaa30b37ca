"""The image lock files agree with requirements.lock: the predictor image installs the same
versions (and the same files, by hash) as the environment the project is tested in."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[2]
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?:\s*;\s*(.+?))?\s*\\?$")
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")
IMAGE_PLATFORM = {
    "python_version": "3.11",
    "python_full_version": "3.11.2",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
}
NOT_IN_PREDICTOR = ("tensorflow", "tensorflow-cpu", "keras", "mlflow", "kfp", "evidently", "torch")


def read_lock(path: Path) -> dict[str, tuple[str, set[str]]]:
    """``{name: (version, hashes)}`` of a ``uv pip compile --generate-hashes`` file, for the
    images' platform (Linux x86_64, Python 3.11): entries whose marker excludes it are left out."""
    entries: dict[str, tuple[str, set[str]]] = {}
    current: str | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        match = ENTRY.match(line)
        if match:
            marker = match.group(3)
            applies = not marker or Marker(marker).evaluate(IMAGE_PLATFORM)
            current = re.sub(r"[-_.]+", "-", match.group(1)).lower() if applies else None
            if current:
                entries[current] = (match.group(2), set())
        elif current and (found := HASH.search(line)):
            entries[current][1].add(found.group(1))
        elif not line.startswith(" "):
            current = None
    return entries


@pytest.fixture(scope="module")
def main_lock() -> dict[str, tuple[str, set[str]]]:
    return read_lock(ROOT / "requirements.lock")


def test_serving_lock_has_the_main_lock_versions_and_files(main_lock) -> None:
    serving = read_lock(ROOT / "serving" / "requirements.lock")
    assert len(serving) > 30
    for name, (version, hashes) in serving.items():
        assert name in main_lock, f"{name} is not in requirements.lock"
        assert version == main_lock[name][0], f"{name}: {version} here, {main_lock[name][0]} there"
        assert hashes, f"{name} has no hash"
        assert hashes <= main_lock[name][1], f"{name}: hashes differ from requirements.lock"


def test_predictor_lock_leaves_the_training_stack_out() -> None:
    names = set(read_lock(ROOT / "serving" / "requirements.lock"))
    assert {"kserve", "xgboost-cpu", "onnxruntime", "pandas", "pyarrow", "numpy"} <= names
    assert not names & set(NOT_IN_PREDICTOR)


def test_build_tools_lock_pins_uv_with_hashes() -> None:
    tools = read_lock(ROOT / "scripts" / "build-tools.lock")
    assert list(tools) == ["uv"]
    version, hashes = next(iter(tools.values()))
    assert re.fullmatch(r"\d+\.\d+\.\d+", version) and len(hashes) > 5


def test_dockerfiles_default_to_the_locked_python() -> None:
    locked = re.search(r'requires-python = ">=(\d+\.\d+)', (ROOT / "pyproject.toml").read_text())
    assert locked
    for dockerfile in (ROOT / "Dockerfile", ROOT / "serving" / "Dockerfile"):
        text = dockerfile.read_text(encoding="utf-8")
        assert f"ARG BASE_IMAGE=python:{locked.group(1)}-slim" in text, dockerfile
        assert "--require-hashes" in text, dockerfile


def test_image_imports_list_every_import_of_the_code() -> None:
    """scripts/image-imports.txt (what the image builds import and compile) names every module
    that vigia/, components/, pipelines/ and serving/ import from installed packages."""
    import ast
    import sys

    ours = {"vigia", "components", "pipelines", "serving", "workflows", "__future__"}
    imported: set[str] = set()
    for folder in ("vigia", "components", "pipelines", "serving", "workflows"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    imported.update(alias.name for alias in node.names)
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    imported.add(node.module)
    third_party = {
        name
        for name in imported
        if name.split(".")[0] not in ours and name.split(".")[0] not in sys.stdlib_module_names
    }
    listed = {
        line.split("#")[0].strip()
        for line in (ROOT / "scripts" / "image-imports.txt").read_text().splitlines()
    }
    assert third_party - listed == set(), "add these to scripts/image-imports.txt"
