"""Features: the feature table for every region × origin (the reference data for drift checks)
and the feature catalog (name, meaning, source, dtype)."""

from kfp.dsl import Dataset, Input, Markdown, Output


def features(
    panel: Input[Dataset],
    table: Output[Dataset],
    catalog: Output[Markdown],
    catalog_json: Output[Dataset],
) -> int:
    """Returns the number of feature rows."""
    from pathlib import Path

    from vigia.training import read_panel, write_features

    rows = write_features(
        read_panel(panel.path), Path(table.path), Path(catalog_json.path), Path(catalog.path)
    )
    print(f"features: {rows} rows written")
    return rows
