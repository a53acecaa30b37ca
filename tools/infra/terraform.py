"""Terraform conventions of the well-known community modules, checked by parsing every ``.tf``
file with hcl2 (checkov's bc-python-hcl2; there is no terraform binary here): each module folder
has main,
variables, outputs and versions; versions are bounded; no provider blocks inside modules;
every variable has a type and a description (and, in modules, a validation unless boolean or a
collection); every output a description; environments keep remote state."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import hcl2

REQUIRED_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")
# A constraint with a lower and an upper bound: ">= 1.2, < 2.0" or "~> 1.2".
LOWER = re.compile(r"(>=|>|~>|=)\s*\d")
UPPER = re.compile(r"(<=|<|~>)\s*\d|^\s*=?\s*\d+\.\d+\.\d+\s*$")
UNVALIDATED_TYPES = re.compile(r"^\$\{(bool|map\(|list\(|set\(|object\()")


def one(value: Any) -> Any:
    """python-hcl2 wraps attribute values in one-element lists; unwrap them."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


def blocks(parsed: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """(label, body) of every top-level block of ``kind`` (variable, output, provider...)."""
    found = []
    for item in parsed.get(kind, []):
        for label, body in item.items():
            found.append((label, body))
    return found


def bounded(constraint: str) -> bool:
    """True when a version constraint has both a lower and an upper bound."""
    return bool(LOWER.search(constraint)) and bool(UPPER.search(constraint))


def module_dirs(terraform_root: Path) -> list[Path]:
    """Every folder under ``terraform/`` that holds ``.tf`` files."""
    return sorted({p.parent for p in terraform_root.rglob("*.tf") if ".terraform" not in p.parts})


def parse_folder(folder: Path, where: Path) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Every ``.tf`` file of ``folder`` parsed (file name → document), and parse errors."""
    parsed: dict[str, dict[str, Any]] = {}
    problems = []
    for path in sorted(folder.glob("*.tf")):
        try:
            parsed[path.name] = hcl2.loads(path.read_text(encoding="utf-8"))
        except Exception as error:
            problems.append(f"{where}/{path.name}: does not parse: {error}")
    return parsed, problems


def check_dir(folder: Path, terraform_root: Path) -> list[str]:
    """Convention breaches of one Terraform module folder."""
    where = folder.relative_to(terraform_root.parent)
    problems = [f"{where}: missing {f}" for f in REQUIRED_FILES if not (folder / f).exists()]
    parsed, parse_problems = parse_folder(folder, where)
    problems += parse_problems
    parts = folder.relative_to(terraform_root).parts
    for name, doc in parsed.items():
        problems += document_problems(f"{where}/{name}", doc, folder, "modules" in parts)
    problems += versions_problems(where, parsed, is_environment="environments" in parts)
    return problems


def document_problems(where: str, doc: dict[str, Any], folder: Path, in_module: bool) -> list[str]:
    """Variables, outputs, provider blocks and module sources of one parsed file."""
    problems = []
    for label, body in blocks(doc, "variable"):
        problems += variable_problems(f"{where}: variable {label}", body, in_module)
    for label, body in blocks(doc, "output"):
        if not one(body.get("description")):
            problems.append(f"{where}: output {label} has no description")
    if in_module and doc.get("provider"):
        problems.append(f"{where}: provider block inside a module (configure it in the root)")
    if doc.get("terraform") and not where.endswith("/versions.tf"):
        problems.append(f"{where}: terraform block outside versions.tf")
    for label, body in blocks(doc, "module"):
        source = one(body.get("source"))
        if isinstance(source, str) and source.startswith(".") and not (folder / source).is_dir():
            problems.append(f"{where}: module {label} source {source} not found")
    return problems


def versions_problems(
    where: Path, parsed: dict[str, dict[str, Any]], is_environment: bool
) -> list[str]:
    """Bounded terraform and provider versions, every used provider required, remote state in
    environments."""
    problems = []
    required: dict[str, Any] = {}
    has_backend = False
    for block in (b for doc in parsed.values() for b in doc.get("terraform", [])):
        has_backend = has_backend or bool(block.get("backend"))
        version = one(block.get("required_version"))
        if not (isinstance(version, str) and bounded(version)):
            problems.append(f"{where}/versions.tf: required_version {version!r} is not bounded")
        for providers in block.get("required_providers", []):
            required.update(providers)
    for provider, spec in required.items():
        version = one(spec).get("version") if isinstance(one(spec), dict) else None
        if not (isinstance(version, str) and bounded(version)):
            problems.append(f"{where}/versions.tf: provider {provider} {version!r} not bounded")
    used = {
        resource_type.split("_", 1)[0]
        for doc in parsed.values()
        for kind in ("resource", "data")
        for item in doc.get(kind, [])
        for resource_type in item
    }
    problems += [
        f"{where}: uses {p}_* resources but versions.tf does not require provider {p}"
        for p in sorted(used - set(required))
    ]
    if is_environment and not has_backend:
        problems.append(f"{where}/versions.tf: environment without a remote state backend")
    return problems


def variable_problems(where: str, body: dict[str, Any], in_module: bool) -> list[str]:
    """A variable needs a type and a description; in modules, a validation unless it is a
    boolean or a collection."""
    problems = []
    var_type = one(body.get("type"))
    if not var_type:
        problems.append(f"{where} has no type")
    if not one(body.get("description")):
        problems.append(f"{where} has no description")
    if (
        in_module
        and var_type
        and not UNVALIDATED_TYPES.match(str(var_type))
        and not body.get("validation")
    ):
        problems.append(f"{where} ({var_type}) has no validation block")
    return problems


def terraform_problems(root: Path) -> tuple[int, list[str]]:
    """(number of folders checked, problems) for everything under ``root/terraform``."""
    terraform_root = root / "terraform"
    folders = module_dirs(terraform_root)
    if not folders:
        return 0, [f"{terraform_root}: no Terraform files"]
    problems = [p for folder in folders for p in check_dir(folder, terraform_root)]
    return len(folders), problems
