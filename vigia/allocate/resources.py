"""Resources that can be allocated and their demand model (units needed per dengue case).

Definitions live in a small TOML file (``vigia/allocate/resources.toml`` by default); each says
where its ``units_per_case`` comes from (measured on data, or a stated planning assumption).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from vigia.configs import read_toml
from vigia.errors import NotFoundError, VigiaError

REQUIRED = ("label_en", "label_es", "unit", "units_per_case", "basis", "note")


@dataclass(frozen=True)
class Resource:
    """One allocatable resource and its demand model.

    Attributes:
        name: Key used on the command line (e.g. ``test_kits``).
        label_en, label_es: Human names in English and Spanish.
        unit: What one unit is (``test``, ``bed-day`` …).
        units_per_case: Units needed per notified dengue case.
        basis: ``data``, ``assumption`` or both: where ``units_per_case`` comes from.
        note: The reasoning and sources behind ``units_per_case``.
    """

    name: str
    label_en: str
    label_es: str
    unit: str
    units_per_case: float
    basis: str
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _parse(name: str, table: Any, origin: str) -> Resource:
    if not isinstance(table, dict):
        raise VigiaError(f"{origin}: [resources.{name}] must be a table")
    missing = [key for key in REQUIRED if key not in table]
    if missing:
        raise VigiaError(f"{origin}: [resources.{name}] lacks {', '.join(missing)}")
    per_case = table["units_per_case"]
    if (
        isinstance(per_case, bool)
        or not isinstance(per_case, int | float)
        or not math.isfinite(per_case)
        or per_case <= 0
    ):
        raise VigiaError(
            f"{origin}: [resources.{name}] units_per_case must be a positive number, "
            f"got {per_case!r}"
        )
    return Resource(
        name=name,
        label_en=str(table["label_en"]),
        label_es=str(table["label_es"]),
        unit=str(table["unit"]),
        units_per_case=float(per_case),
        basis=str(table["basis"]),
        note=" ".join(str(table["note"]).split()),
    )


def load_resources(path: str | Path | None = None) -> dict[str, Resource]:
    """Resource definitions by name, from ``path`` or the shipped ``resources.toml``."""
    data, origin = read_toml(path, "resources.toml", "resource file", package="vigia.allocate")
    tables = data.get("resources")
    if not isinstance(tables, dict) or not tables:
        raise VigiaError(f"{origin}: no [resources.NAME] tables")
    return {name: _parse(name, table, origin) for name, table in tables.items()}


def get_resource(name: str, path: str | Path | None = None) -> Resource:
    """The named resource, or a :class:`NotFoundError` listing the known ones."""
    resources = load_resources(path)
    if name not in resources:
        raise NotFoundError(
            f"unknown resource {name!r}; choose from {', '.join(sorted(resources))}"
        )
    return resources[name]
