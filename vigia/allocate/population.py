"""Region populations: the shipped INEI 2017 census counts for Peru's departments, or a CSV.

The population weights the population-proportional rule and sets the per-capita equity floor.
Source and checks: ``vigia/data/files/peru_population.SOURCE.md``.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from vigia.errors import DataContractError, VigiaError

POPULATION_FILE = "peru_population.csv"


def _validate(frame: pd.DataFrame, origin: str) -> pd.Series:
    missing = [c for c in ("region", "population") if c not in frame.columns]
    if missing:
        raise DataContractError(f"{origin}: missing column {missing[0]!r} (need region,population)")
    regions = frame["region"].astype(str).str.strip()
    values = pd.to_numeric(frame["population"], errors="coerce")
    bad = values.isna() | (values <= 0)
    if bad.any():
        line = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise DataContractError(
            f"{origin}: column 'population' must be a positive number (line {line})"
        )
    duplicated = regions.duplicated()
    if duplicated.any():
        raise DataContractError(
            f"{origin}: region {regions[duplicated].iloc[0]!r} appears more than once"
        )
    return pd.Series(values.to_numpy(dtype="float64"), index=regions.to_numpy(), name="population")


def peru_departments() -> pd.DataFrame:
    """The shipped table of Peru's departments: ``ubigeo`` (INEI code, text), ``region`` (the
    panel's name), ``name``, ``population``."""
    resource = importlib.resources.files("vigia.data") / "files" / POPULATION_FILE
    with resource.open("r", encoding="utf-8") as handle:
        return pd.read_csv(handle, dtype={"ubigeo": str})


def peru_population() -> pd.Series:
    """Population counted by INEI's 2017 census per department, indexed by the panel's names."""
    return _validate(peru_departments(), POPULATION_FILE)


def read_population_csv(path: str | Path) -> pd.Series:
    """Populations from a CSV with columns ``region`` and ``population``."""
    file = Path(path)
    if not file.is_file():
        raise DataContractError(f"{file}: population file not found")
    try:
        frame = pd.read_csv(file, encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise DataContractError(f"{file}: cannot read as CSV ({exc})") from None
    return _validate(frame, str(file))


def load_population(path: str | Path | None = None) -> pd.Series:
    """Populations from ``path``, else the shipped Peru census counts."""
    return peru_population() if path is None else read_population_csv(path)


def population_for(regions: Iterable[str], population: pd.Series) -> pd.Series:
    """Populations of ``regions`` in their order; names the regions that have none."""
    wanted = [str(r) for r in regions]
    unknown = [r for r in wanted if r not in population.index]
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else ""
        )
        raise VigiaError(
            f"no population for region(s) {shown}; give a CSV with columns region,population "
            "(--population FILE)"
        )
    return population.reindex(wanted)
