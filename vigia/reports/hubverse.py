"""Quantile forecasts as a hubverse forecast hub (CDC FluSight / COVID-19 Forecast Hub layout).

A hub folder holds::

    hub-config/tasks.json        targets, horizons, locations, rounds and the quantile levels
    hub-config/admin.json        hub name, maintainer, accepted file formats, time zone
    hub-config/target-data.json  the columns of the target data
    hub-config/model-metadata-schema.json, model-metadata/<model_id>.yml   what each model is
    model-output/<model_id>/<round_id>-<model_id>.csv   (or .parquet) one file per model and round
    target-data/time-series.csv  the observed weekly counts (target_end_date, target, location,
                                 observation)

A model-output file has the task-ID columns ``reference_date, target, horizon, location,
target_end_date`` and the output columns ``output_type, output_type_id, value``; ``model_id``
comes from the path. Dates follow the hubs' convention of naming a week by its last day:
``reference_date`` (the round id) is the last day of the last observed week (the forecast
origin), ``target_end_date`` = ``reference_date + 7 × horizon`` days. ``location`` is a code:
Peru's departments get their INEI ubigeo code, other panels the region value itself or the code
a ``region,location`` mapping CSV gives. The config files follow the hubverse schemas v6.0.0.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from vigia.allocate.population import peru_departments
from vigia.errors import DataContractError, VigiaError
from vigia.forecasts.quantiles import QuantileForecast

TARGET = "wk inc dengue case"
TASK_IDS = ("reference_date", "target", "horizon", "location", "target_end_date")
COLUMNS = (*TASK_IDS, "output_type", "output_type_id", "value")
FILE_FORMATS = ("csv", "parquet")
SCHEMAS = "https://raw.githubusercontent.com/hubverse-org/schemas/main/v6.0.0/"
WEEK_END = pd.Timedelta(days=6)
# Arrow types a hub reader derives from tasks.json (Parquet files carry them).
ARROW_SCHEMA = pa.schema(
    [
        ("reference_date", pa.date32()),
        ("target", pa.string()),
        ("horizon", pa.int32()),
        ("location", pa.string()),
        ("target_end_date", pa.date32()),
        ("output_type", pa.string()),
        ("output_type_id", pa.float64()),
        ("value", pa.float64()),
    ]
)


def hub_model_id(name: str) -> str:
    """A hubverse ``team-model`` id for a Vigía method name: ``vigia-<method>``."""
    model = re.sub(r"[^A-Za-z0-9_+]+", "_", name).strip("_")[:15] or "model"
    return f"vigia-{model}"


def check_model_id(model_id: str) -> str:
    """``model_id`` if it has the hubverse form ``team-model`` (letters, digits, ``_``, ``+``)."""
    if not re.fullmatch(r"[A-Za-z0-9_+]{1,16}-[A-Za-z0-9_+]{1,15}", model_id):
        raise VigiaError(
            f"model id {model_id!r} is not a hubverse id 'team-model' (letters, digits, '_' or "
            "'+'; team ≤ 16 and model ≤ 15 characters)"
        )
    return model_id


def location_codes(regions: Iterable[str], mapping: str | Path | None = None) -> dict[str, str]:
    """Hub location code of every region: from ``mapping`` (a CSV with columns
    ``region,location``), else the INEI ubigeo code when every region is a Peru department,
    else the region value itself."""
    wanted = sorted({str(r) for r in regions})
    if mapping is not None:
        table = _read_mapping(Path(mapping))
    else:
        peru = peru_departments()
        table = dict(zip(peru["region"], peru["ubigeo"], strict=True))
        if not set(wanted) <= set(table):
            return {r: r for r in wanted}
    missing = [r for r in wanted if r not in table]
    if missing:
        raise DataContractError(
            f"{mapping}: no location code for region(s) {', '.join(missing[:5])}"
            + (f" (+{len(missing) - 5} more)" if len(missing) > 5 else "")
        )
    return {r: table[r] for r in wanted}


def _read_mapping(path: Path) -> dict[str, str]:
    if not path.is_file():
        raise DataContractError(f"{path}: locations file not found")
    if not path.read_bytes().strip():
        raise DataContractError(f"{path}: locations file is empty")
    try:  # comma- or semicolon-separated
        frame = pd.read_csv(
            path, sep=None, engine="python", dtype=str, encoding="utf-8-sig", keep_default_na=False
        )
    except UnicodeDecodeError:
        raise DataContractError(f"{path}: not UTF-8 text; re-save the file as UTF-8") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error) as exc:
        raise DataContractError(f"{path}: cannot read as CSV ({exc})") from None
    if not {"region", "location"} <= set(frame.columns):
        raise DataContractError(f"{path}: need the columns region,location")
    regions, codes = frame["region"].str.strip(), frame["location"].str.strip()
    for name, column in (("region", regions), ("location", codes)):
        if (column == "").any():
            line = int((column == "").to_numpy().nonzero()[0][0]) + 2
            raise DataContractError(f"{path}: empty {name} (line {line})")
        if column.duplicated().any():
            raise DataContractError(
                f"{path}: {name} {column[column.duplicated()].iloc[0]!r} appears more than once"
            )
    return dict(zip(regions, codes, strict=True))


def to_hubverse(forecast: QuantileForecast, locations: Mapping[str, str]) -> pd.DataFrame:
    """A quantile forecast as hubverse model output: task-ID and output columns, no model_id."""
    long = forecast.to_frame()
    frame = pd.DataFrame(
        {
            "reference_date": (long["origin"] + WEEK_END).dt.strftime("%Y-%m-%d"),
            "target": TARGET,
            "horizon": long["horizon"].astype("int64"),
            "location": long["region"].astype(str).map(locations),
            "target_end_date": (long["target_week"] + WEEK_END).dt.strftime("%Y-%m-%d"),
            "output_type": "quantile",
            "output_type_id": long["quantile"].round(6),
            "value": long["value"].astype("float64"),
        }
    )
    if frame["location"].isna().any():
        unknown = sorted(set(long["region"].astype(str)) - set(locations))
        raise DataContractError(f"no location code for region(s) {', '.join(unknown[:5])}")
    return frame[list(COLUMNS)]


def write_rounds(
    frame: pd.DataFrame, hub: Path, model_id: str, file_format: str = "csv"
) -> list[Path]:
    """One model-output file per round (``reference_date``) of ``frame``; it replaces the
    model's earlier file of that round in either format (a hub takes one file per round)."""
    if file_format not in FILE_FORMATS:
        raise VigiaError(f"hub file format must be one of {', '.join(FILE_FORMATS)}")
    folder = hub / "model-output" / check_model_id(model_id)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for round_id, rows in frame.groupby("reference_date", sort=True):
        path = folder / f"{round_id}-{model_id}.{file_format}"
        for other in FILE_FORMATS:
            (folder / f"{round_id}-{model_id}.{other}").unlink(missing_ok=True)
        rows = rows[list(COLUMNS)].reset_index(drop=True)
        if file_format == "csv":
            rows.to_csv(path, index=False)
        else:
            typed = rows.assign(
                reference_date=pd.to_datetime(rows["reference_date"]).dt.date,
                target_end_date=pd.to_datetime(rows["target_end_date"]).dt.date,
            )
            table = pa.Table.from_pandas(typed, schema=ARROW_SCHEMA, preserve_index=False)
            pq.write_table(table, path)
        paths.append(path)
    return paths


def write_target_data(panel: pd.DataFrame, hub: Path, locations: Mapping[str, str]) -> Path:
    """``target-data/time-series.csv``: the observed weekly counts in hub form."""
    frame = pd.DataFrame(
        {
            "target_end_date": (panel["week_start"] + WEEK_END).dt.strftime("%Y-%m-%d"),
            "target": TARGET,
            "location": panel["region"].astype(str).map(locations),
            "observation": panel["cases"].astype("float64"),
        }
    ).dropna(subset=["location", "observation"])
    path = hub / "target-data" / "time-series.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.sort_values(["target_end_date", "location"]).to_csv(path, index=False)
    return path


def tasks_config(
    frame: pd.DataFrame, levels: Sequence[float], horizons: Sequence[int]
) -> dict[str, Any]:
    """``tasks.json`` for the rounds, locations and dates of a model-output ``frame``."""
    task_ids = {
        "reference_date": _optional(sorted(frame["reference_date"].unique())),
        "target": _optional([TARGET]),
        "horizon": _optional([int(h) for h in horizons]),
        "location": _optional(sorted(frame["location"].unique())),
        "target_end_date": _optional(sorted(frame["target_end_date"].unique())),
    }
    quantile = {
        "output_type_id": {"required": [round(float(q), 6) for q in levels]},
        "is_required": True,
        "value": {"type": "double", "minimum": 0},
    }
    target = {
        "target_id": TARGET,
        "target_name": "weekly incident dengue cases",
        "target_units": "count",
        "target_keys": {"target": TARGET},
        "target_type": "continuous",
        "description": "Number of dengue cases reported in the week ending on target_end_date, "
        "[horizon] weeks after the week ending on reference_date (the last observed week).",
        "is_step_ahead": True,
        "time_unit": "week",
    }
    round_ = {
        "round_id_from_variable": True,
        "round_id": "reference_date",
        "model_tasks": [
            {
                "task_ids": task_ids,
                "output_type": {"quantile": quantile},
                "target_metadata": [target],
            }
        ],
        "submissions_due": {"relative_to": "reference_date", "start": 0, "end": 6},
    }
    return {
        "schema_version": SCHEMAS + "tasks-schema.json",
        "rounds": [round_],
        "output_type_id_datatype": "double",
    }


def admin_config(name: str) -> dict[str, Any]:
    """``admin.json``; the repository and contact are placeholders to edit before publishing."""
    return {
        "schema_version": SCHEMAS + "admin-schema.json",
        "name": name,
        "maintainer": "Vigía",
        "contact": {"name": "Vigía", "email": "forecasts@vigia.invalid"},
        "repository": {"host": "github", "owner": "vigia", "name": "vigia-forecast-hub"},
        "file_format": list(FILE_FORMATS),
        "timezone": "America/Lima",
    }


TARGET_DATA_CONFIG = {
    "schema_version": SCHEMAS + "target-data-schema.json",
    "observable_unit": ["target_end_date", "target", "location"],
    "date_col": "target_end_date",
    "versioned": False,
}


METADATA_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Schema for the model metadata of a Vigía forecast hub",
    "type": "object",
    "properties": {
        "team_name": {"type": "string"},
        "team_abbr": {"type": "string", "pattern": "^[a-zA-Z0-9_+]+$", "maxLength": 16},
        "model_name": {"type": "string"},
        "model_abbr": {"type": "string", "pattern": "^[a-zA-Z0-9_+]+$", "maxLength": 15},
        "model_version": {"type": "string"},
        "designated_model": {"type": "boolean"},
        "methods": {"type": "string"},
    },
    "required": [
        "team_name",
        "team_abbr",
        "model_name",
        "model_abbr",
        "designated_model",
        "methods",
    ],
}


def model_metadata(model_id: str, name: str, methods: str) -> dict[str, Any]:
    """``model-metadata/<model_id>.yml`` content (team and model from the id)."""
    team, model = model_id.split("-", 1)
    return {
        "team_name": "Vigía" if team == "vigia" else team,
        "team_abbr": team,
        "model_name": name,
        "model_abbr": model,
        "designated_model": False,
        "methods": methods,
    }


def _optional(values: Iterable[Any]) -> dict[str, Any]:
    return {"required": None, "optional": list(values)}


def merge_tasks(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` whose optional task-ID values also keep those of an earlier ``tasks.json``, so
    that rounds written earlier into the same hub stay described."""
    try:
        old_ids = old["rounds"][0]["model_tasks"][0]["task_ids"]
    except (KeyError, IndexError, TypeError):
        return new
    new_ids = new["rounds"][0]["model_tasks"][0]["task_ids"]
    for key, spec in new_ids.items():
        before = (old_ids.get(key) or {}).get("optional") or []
        spec["optional"] = sorted(set(spec["optional"]) | set(before))
    return new


def write_hub(
    hub: Path,
    forecasts: Mapping[str, QuantileForecast],
    panel: pd.DataFrame,
    locations: Mapping[str, str],
    file_format: str = "csv",
    methods: Mapping[str, tuple[str, str]] | None = None,
    name: str = "Vigía dengue forecasts",
) -> list[Path]:
    """A hub of ``forecasts`` (one per model id), one file per model and round, with its config
    and target data; adds to the rounds and models already in ``hub``. ``methods`` gives each
    model id's (name, description) for its metadata. Returns the model-output files written."""
    frames = {model_id: to_hubverse(f, locations) for model_id, f in forecasts.items()}
    first = next(iter(forecasts.values()))
    config = tasks_config(pd.concat(frames.values()), first.levels, first.horizons)
    tasks_file = hub / "hub-config" / "tasks.json"
    if tasks_file.is_file():
        try:
            config = merge_tasks(json.loads(tasks_file.read_text(encoding="utf-8")), config)
        except json.JSONDecodeError:
            raise VigiaError(
                f"{tasks_file}: not valid JSON; remove it or choose another --out"
            ) from None
    written = [
        path
        for model_id, frame in frames.items()
        for path in write_rounds(frame, hub, model_id, file_format)
    ]
    tasks_file.parent.mkdir(parents=True, exist_ok=True)
    tasks_file.write_text(json.dumps(config, indent=2, ensure_ascii=False), encoding="utf-8")
    configs = {
        "admin": admin_config(name),
        "target-data": TARGET_DATA_CONFIG,
        "model-metadata-schema": METADATA_SCHEMA,
    }
    for config_name, content in configs.items():
        text = json.dumps(content, indent=2, ensure_ascii=False)
        (hub / "hub-config" / f"{config_name}.json").write_text(text, encoding="utf-8")
    (hub / "model-metadata").mkdir(exist_ok=True)
    for model_id in forecasts:
        model_name, description = (methods or {}).get(model_id, (model_id, ""))
        metadata = model_metadata(model_id, model_name, description)
        text = yaml.safe_dump(metadata, allow_unicode=True, sort_keys=False)
        (hub / "model-metadata" / f"{model_id}.yml").write_text(text, encoding="utf-8")
    write_target_data(panel, hub, locations)
    return written
