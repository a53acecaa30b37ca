"""Risk ingest: a built-in dataset or a CSV → the validated risk table and its data card, plus
reading and writing the files the pipeline steps pass on. Light on imports (pandas), so the CLI
validates input quickly before starting a pipeline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.risk.datasets import DATASETS, builtin
from vigia.risk.task import GROUP, TARGET, RiskTask
from vigia.risk.validate import Prepared, default_slice_cols, prepare_table, read_table_csv


def load_source(
    source: str, task: RiskTask | None
) -> tuple[pd.DataFrame, RiskTask, str, dict[str, int]]:
    """Raw rows, the task, a label and rows dropped while loading.

    ``source`` is a built-in dataset name (its own task; ``task`` may only rename the model or
    move ``test_from``) or a CSV path (``task`` required)."""
    if source in DATASETS:
        dataset = builtin(source)
        frame, dropped = dataset.load()
        resolved = dataset.task()
        if task is not None:
            resolved.name = task.name or resolved.name
            resolved.test_from = task.test_from or resolved.test_from
        return frame, resolved, source, dropped
    if task is None or not task.target:
        raise VigiaError(f"{source}: a CSV needs a target column (--target)")
    frame = read_table_csv(source)
    if not task.slice_cols:
        candidates = [
            c
            for c in default_slice_cols(list(frame.columns))
            if c not in (task.target, task.group_col, task.time_col)
        ]
        task = RiskTask.from_dict({**task.to_dict(), "slice_cols": candidates})
    return frame, task, Path(source).name, {}


def sample_table(table: pd.DataFrame, rows: int, seed: int = 0) -> pd.DataFrame:
    """About ``rows`` rows (whole groups when the table is grouped), in their original order."""
    if rows <= 0 or rows >= len(table):
        return table
    rng = np.random.default_rng(seed)
    if GROUP in table:
        groups = table[GROUP].unique()
        share = rows / len(table)
        keep = rng.choice(groups, size=max(int(len(groups) * share), 1), replace=False)
        return table[table[GROUP].isin(keep)].reset_index(drop=True)
    chosen = np.sort(rng.choice(len(table), size=rows, replace=False))
    return table.iloc[chosen].reset_index(drop=True)


def table_hash(table: pd.DataFrame) -> str:
    """SHA-256 over the table's content (row hashes in order) and column names."""
    digest = hashlib.sha256("\x1f".join(map(str, table.columns)).encode())
    digest.update(pd.util.hash_pandas_object(table, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def ingest_risk(
    source: str, task: RiskTask | None = None, sample_rows: int = 0, seed: int = 0
) -> tuple[Prepared, dict[str, Any]]:
    """Load and validate a source into a risk table; return it with its data card."""
    frame, resolved, label, dropped = load_source(source, task)
    prepared = prepare_table(frame, resolved, label)
    prepared.report["dropped_rows"] = {**dropped, **prepared.report["dropped_rows"]}
    if sample_rows:
        before = len(prepared.table)
        prepared.table = sample_table(prepared.table, sample_rows, seed)
        prepared.report["sampled"] = {"from": before, "to": len(prepared.table)}
    card = {
        "source": label,
        "label": prepared.task.label,
        **prepared.report,
        "rows_out": len(prepared.table),
        "positives": int(prepared.table[TARGET].sum()),
        "prevalence": float(prepared.table[TARGET].mean()),
        "content_hash": table_hash(prepared.table),
    }
    return prepared, card


def card_markdown(card: dict[str, Any]) -> str:
    """The data card as Markdown."""
    lines = [
        f"# Data card: {card['label'] or card['source']}",
        "",
        f"- **Source**: {card['source']}",
        f"- **Rows**: {card['rows_in']:,} in → {card['rows_out']:,} used",
        f"- **Positive** ({', '.join(card['positive'])}): {card['positives']:,} rows "
        f"({100 * card['prevalence']:.2f} %)",
        f"- **Features**: {card['features']} ({card['numeric']} numeric, "
        f"{card['categorical']} categorical)",
        f"- **Content hash**: `{card['content_hash']}`",
    ]
    if "sampled" in card:
        lines.append(f"- **Sampled**: {card['sampled']['from']:,} → {card['sampled']['to']:,}")
    for why, n in card.get("dropped_rows", {}).items():
        lines.append(f"- Dropped {n:,} rows: {why}")
    for col, why in card.get("removed_columns", {}).items():
        lines.append(f"- Column `{col}` not a feature: {why}")
    return "\n".join(lines) + "\n"


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    table.to_parquet(path, index=False)


def read_table(path: str | Path) -> pd.DataFrame:
    """A risk table written by :func:`write_table` (missing categories back to NaN)."""
    table = pd.read_parquet(path)
    for col in table.columns:
        if table[col].dtype == object:
            table[col] = table[col].where(table[col].notna(), np.nan)
    return table


def write_json(path: str | Path, data: Any) -> None:
    Path(path).write_text(
        json.dumps(data, indent=2, default=_json_default, ensure_ascii=False), encoding="utf-8"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    return str(value)
