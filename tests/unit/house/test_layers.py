"""The house's layering, read from the code's own imports (``ast``; nothing is run).

- Nothing outside ``vigia/cli`` imports the CLI (tests of the CLI itself aside), so an edit to the
  CLI cannot break the predictor image or a compiled pipeline.
- No module imports itself back through others: no import cycle, lazy imports included.
- Packages import only the layers below their own, as the picture in docs/architecture.md
  ("Dependencies") draws them: that picture is read here, so it cannot drift from the code.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# folder → the package it installs as (pyproject.toml, [tool.setuptools] package-dir)
INSTALLED = {
    "vigia": "vigia",
    "components": "vigia.components",
    "pipelines": "vigia.pipelines",
    "serving": "vigia.serving",
    "workflows": "vigia.workflows",
}
PRODUCT = (*INSTALLED, "benchmarks")


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


def module_name(path: Path) -> str:
    top, *rest = path.relative_to(ROOT).parts
    parts = [INSTALLED[top], *rest]
    parts[-1] = parts[-1].removesuffix(".py")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module → the modules of the installed package it imports."""
    files = {
        module_name(path): path
        for top in INSTALLED
        for path in (ROOT / top).rglob("*.py")
        if "compiled" not in path.parts
    }
    return {
        name: {m for m in imported_modules(path) if m in files and m != name}
        for name, path in files.items()
    }


def package_of(module: str) -> str:
    """``vigia.monitor.collect`` → ``vigia.monitor``; ``vigia.training`` stays itself."""
    return ".".join(module.split(".")[:2])


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def documented_layers() -> list[list[str]]:
    """The layers drawn in docs/architecture.md, top first: one line per layer, packages
    separated by spaces, between ``<!-- layers -->`` and ``<!-- /layers -->``."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- layers -->(.*?)<!-- /layers -->", text, re.S)
    assert block, "docs/architecture.md lost its layer picture"
    layers = []
    for line in block.group(1).splitlines():
        line = line.split("#")[0].strip().strip("`").strip()
        if line and not line.startswith(("```", "↓", "|")):
            layers.append([word if word.startswith("vigia") else f"vigia.{word}"
                           for word in line.replace("vigia.", "").split()])  # fmt: skip
    return [[("vigia" if name == "vigia.(root)" else name) for name in layer] for layer in layers]


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


def test_no_import_cycle() -> None:
    assert cycles(import_graph()) == []


def test_the_cycle_finder_finds_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_packages_import_only_the_layers_below_theirs() -> None:
    layers = documented_layers()
    height = {package: len(layers) - i for i, layer in enumerate(layers) for package in layer}
    graph = import_graph()
    packages = {package_of(module) for module in graph}
    assert packages - set(height) == set(), "packages missing from the picture"
    assert set(height) - packages == set(), "the picture names packages that do not exist"
    upward = sorted(
        f"{module} → {target}"
        for module, targets in graph.items()
        for target in targets
        if package_of(module) != package_of(target)
        and height[package_of(target)] >= height[package_of(module)]
    )
    assert upward == [], "imports that go up or sideways in the picture"


def test_the_domain_imports_no_kfp_or_kserve() -> None:
    glue = ("vigia/components", "vigia/pipelines", "vigia/serving", "vigia/workflows", "vigia/cli")
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / "vigia").rglob("*.py"))
        if not str(path.relative_to(ROOT)).startswith(glue)
        for name in sorted(imported_modules(path))
        if name.split(".")[0] in ("kfp", "kserve")
    ]
    assert offenders == []


def test_every_package_folder_is_installed() -> None:
    """A sub-package missing from ``[tool.setuptools] packages`` works in the editable install
    and is absent from the wheel the images install (a real failure: ``vigia.forecasts``)."""
    import tomllib

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]
    listed = set(setup["setuptools"]["packages"])
    folders = {
        ".".join([INSTALLED[top], *init.parent.relative_to(ROOT / top).parts])
        for top in INSTALLED
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert folders - listed == set(), "add these to [tool.setuptools] packages"
    assert listed - folders == set(), "listed packages with no folder"
