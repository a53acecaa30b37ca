"""The house's layering, read from the code's own imports (``ast``; nothing is run).

The CLI only parses and prints: nothing outside ``vigia/cli`` imports it (tests of the CLI
itself aside), so an edit to the CLI cannot break the predictor image or a compiled pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PRODUCT = ("vigia", "components", "pipelines", "serving", "benchmarks")


def imported_modules(path: Path) -> set[str]:
    """Every absolute module a file imports, at any depth (lazy imports inside functions too)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def product_files() -> list[Path]:
    return sorted(
        path
        for top in PRODUCT
        for path in (ROOT / top).rglob("*.py")
        if "compiled" not in path.parts
    )


def test_nothing_outside_the_cli_imports_it() -> None:
    cli = ROOT / "vigia" / "cli"
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in product_files()
        if cli not in path.parents
        for name in sorted(imported_modules(path))
        if name == "vigia.cli" or name.startswith("vigia.cli.")
    ]
    assert offenders == []


def test_compiled_pipelines_name_no_cli_module() -> None:
    compiled = sorted((ROOT / "pipelines" / "compiled").glob("*.yaml"))
    assert compiled, "no compiled pipelines found"
    naming = [path.name for path in compiled if "vigia.cli" in path.read_text(encoding="utf-8")]
    assert naming == []


def test_both_training_pipelines_end_with_the_one_release_block() -> None:
    """Register → [approved] push is written once (``pipelines/release.py``) and used by both."""
    for name in ("training.py", "risk.py"):
        modules = imported_modules(ROOT / "pipelines" / name)
        assert "vigia.pipelines.release.register_and_push" in modules, name
        assert "vigia.components.push" not in modules, f"{name} builds its own push step"
