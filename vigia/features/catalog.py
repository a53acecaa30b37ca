"""A feature catalog: every feature a model uses, with what it means and where it comes from."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FeatureSpec:
    """One feature of a model."""

    name: str
    meaning: str
    source: str
    dtype: str = "float64"


def catalog_records(specs: list[FeatureSpec]) -> list[dict[str, str]]:
    """The catalog as JSON-ready records."""
    return [asdict(s) for s in specs]


def catalog_markdown(specs: list[FeatureSpec], title: str = "Feature catalog") -> str:
    """The catalog as a Markdown table."""
    rows = [f"| `{s.name}` | {s.meaning} | {s.source} | {s.dtype} |" for s in specs]
    return (
        "\n".join(
            [f"# {title}", "", "| name | meaning | source | dtype |", "|---|---|---|---|", *rows]
        )
        + "\n"
    )
