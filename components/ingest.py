"""Ingest + validate: source → weekly case panel (Parquet) + data card. Patient-level rows stay
inside this step; only the aggregated panel leaves it."""

from kfp.dsl import Dataset, Markdown, Metrics, Output


def ingest(
    source: str,
    region_col: str,
    date_col: str,
    target_col: str,
    level: str,
    regions: str,
    start: str,
    end: str,
    panel: Output[Dataset],
    card: Output[Markdown],
    card_json: Output[Dataset],
    metrics: Output[Metrics],
    panel_options: str = "",
    source_fingerprint: str = "",
) -> str:
    """Returns the panel's content hash. ``panel_options``: a ``PanelOptions`` JSON (how to read
    a CSV source: delimiter, encoding, week rule, missing weeks…); empty for the defaults.
    ``source_fingerprint``: what the source holds (the fingerprint step), here so that the
    step's cache key changes when the data at ``source`` does. A ``gs://`` source is
    downloaded first."""
    import json
    import tempfile
    from pathlib import Path

    from vigia.data.ingest import ingest_panel, write_ingest_outputs
    from vigia.data.read import PanelOptions
    from vigia.data.sources import local_source
    from vigia.errors import exit_on_user_error

    with exit_on_user_error("ingest"), tempfile.TemporaryDirectory() as scratch:
        options = PanelOptions.from_json(panel_options)
        columns = {"region_col": region_col, "date_col": date_col, "target_col": target_col}
        frame, data_card = ingest_panel(
            local_source(source, Path(scratch)),
            level=level,
            regions=regions,
            start=start,
            end=end,
            options=PanelOptions(**{**options.__dict__, **columns}),
        )
    write_ingest_outputs(frame, data_card, Path(panel.path), Path(card_json.path), Path(card.path))
    panel.metadata.update(
        {
            "content_hash": data_card["content_hash"],
            "rows": data_card["rows_out"],
            "regions": data_card["n_regions"],
        }
    )
    for key in ("rows_in", "rows_out", "n_regions", "n_weeks", "total_cases", "missing_weeks"):
        metrics.log_metric(key, float(data_card[key]))
    # the metrics also as a file: kfp.local's cache treats an output artifact without a file
    # as missing and never reuses the step
    Path(metrics.path).parent.mkdir(parents=True, exist_ok=True)
    Path(metrics.path).write_text(json.dumps(metrics.metadata), encoding="utf-8")
    print(
        f"ingest: {data_card['rows_in']} rows in → {data_card['rows_out']} panel rows, "
        f"{data_card['n_regions']} regions, weeks {data_card['week_range'][0]} … "
        f"{data_card['week_range'][1]}, hash {data_card['content_hash'][:12]}"
    )
    return str(data_card["content_hash"])
