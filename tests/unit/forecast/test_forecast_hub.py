"""``vigia forecast`` writes a hubverse forecast hub: checked with the hubverse tooling that
installs here — the config files against the hubverse JSON schemas (v6.0.0, copied into
``hubverse_schemas/``), the hub read back by ``hubdata`` — and the hub evaluation reproduced:
WIS computed from the hub's files and its target data equals Vigía's own backtest WIS."""

from __future__ import annotations

import json
from pathlib import Path

import hubdata
import jsonschema
import numpy as np
import pandas as pd
import pytest
import yaml
from hubdata.create_target_data_schema import TargetType

from vigia.reports.hubverse import COLUMNS, TARGET, write_rounds

SCHEMAS = Path(__file__).with_name("hubverse_schemas")
TASK_IDS_AND_LEVEL = ("reference_date", "horizon", "location", "target_end_date", "output_type_id")
LEVELS_23 = [0.01, 0.025, *[round(0.05 * k, 2) for k in range(1, 20)], 0.975, 0.99]


def schema_errors(config: dict, name: str) -> list[str]:
    schema = json.loads((SCHEMAS / f"hubverse-v6.0.0-{name}-schema.json").read_text("utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    return [error.message for error in validator.iter_errors(config)]


def read_config(hub: Path, name: str) -> dict:
    return json.loads((hub / "hub-config" / f"{name}.json").read_text(encoding="utf-8"))


def hub_table(hub: Path) -> pd.DataFrame:
    """Every model-output row of the hub as ``hubdata`` reads it (model_id from the path)."""
    return hubdata.connect_hub(hub).get_dataset().to_table().to_pandas()


def nonconforming(table: pd.DataFrame, tasks: dict) -> list[str]:
    """What hubverse's submission checks would reject in ``table`` (model output as hubdata
    reads it): task-ID values that tasks.json does not list, tasks without exactly the required
    quantile levels, negative values."""
    model_task = tasks["rounds"][0]["model_tasks"][0]
    problems = []
    for column, spec in model_task["task_ids"].items():
        allowed = {str(v) for v in (spec["required"] or []) + (spec["optional"] or [])}
        unknown = set(table[column].astype(str)) - allowed
        if unknown:
            problems.append(f"{column} not in tasks.json: {sorted(unknown)[:3]}")
    levels = model_task["output_type"]["quantile"]["output_type_id"]["required"]
    keys = ["model_id", *model_task["task_ids"]]
    complete = table.groupby(keys)["output_type_id"].apply(lambda q: sorted(q) == levels)
    if not complete.all():
        problems.append(f"{int((~complete).sum())} tasks without exactly the required levels")
    if (table["value"] < 0).any() or set(table["output_type"]) != {"quantile"}:
        problems.append("negative values or other output types")
    return problems


def write_csv(panel: pd.DataFrame, path: Path) -> Path:
    panel.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def report_args(csv: Path, out: Path, *options: str) -> list[str]:
    """``vigia forecast report`` of persistence fitted on ``csv``, with ``options``."""
    return ["forecast", "report", "--panel", str(csv), "--method", "persistence", *options,
            "--out", str(out)]  # fmt: skip


def test_forecast_report_writes_a_valid_hub(cli, zeros_panel: pd.DataFrame, tmp_path: Path) -> None:
    csv = write_csv(zeros_panel, tmp_path / "zeros.csv")
    out = tmp_path / "report"
    result = cli(report_args(csv, out))
    assert result.code == 0, result.stderr
    hub = out / "hub"
    file = hub / "model-output" / "vigia-persistence" / "2022-12-31-vigia-persistence.csv"
    assert sorted(
        p.relative_to(hub / "model-output").as_posix() for p in (hub / "model-output").rglob("*")
    ) == [
        "vigia-persistence",
        "vigia-persistence/2022-12-31-vigia-persistence.csv",
    ]
    rows = pd.read_csv(file, dtype={"location": str})
    assert list(rows.columns) == list(COLUMNS)  # task IDs + output columns, no model_id
    # AREQUIPA, CALLAO, PIURA → their INEI ubigeo codes
    assert sorted(rows["location"].unique()) == ["04", "07", "20"]
    assert set(rows["target"]) == {TARGET} and set(rows["output_type"]) == {"quantile"}
    assert sorted(rows["output_type_id"].unique()) == LEVELS_23
    assert len(rows) == 3 * 4 * 23

    tasks, admin = read_config(hub, "tasks"), read_config(hub, "admin")
    assert schema_errors(tasks, "tasks") == []
    assert schema_errors(admin, "admin") == []
    assert schema_errors(read_config(hub, "target-data"), "target-data") == []
    task = tasks["rounds"][0]["model_tasks"][0]
    assert task["output_type"]["quantile"]["output_type_id"]["required"] == LEVELS_23
    assert task["task_ids"]["horizon"]["optional"] == [1, 2, 3, 4]
    assert task["task_ids"]["location"]["optional"] == ["04", "07", "20"]
    assert task["task_ids"]["reference_date"]["optional"] == ["2022-12-31"]

    # model metadata, checked against the hub's own metadata schema (as hubverse validation does)
    metadata_schema = read_config(hub, "model-metadata-schema")
    assert hubdata.connect_hub(hub).model_metadata_schema == metadata_schema
    metadata = yaml.safe_load((hub / "model-metadata" / "vigia-persistence.yml").read_text("utf-8"))
    jsonschema.validate(metadata, metadata_schema)
    assert metadata["team_abbr"] == "vigia" and metadata["model_abbr"] == "persistence"
    assert metadata["methods"].startswith("Last observed value")

    table = hub_table(hub)
    assert nonconforming(table, tasks) == []
    assert nonconforming(table.assign(horizon=table["horizon"] + 4), tasks) != []  # it can fail
    assert len(table) == len(rows)
    assert set(table["model_id"]) == {"vigia-persistence"}
    assert sorted(table.columns) == sorted([*COLUMNS, "model_id"])
    merged = table.assign(
        reference_date=table["reference_date"].astype(str),
        target_end_date=table["target_end_date"].astype(str),
    ).merge(rows, on=list(TASK_IDS_AND_LEVEL), suffixes=("_hub", "_file"))
    assert len(merged) == len(rows)
    np.testing.assert_allclose(merged["value_hub"], merged["value_file"])

    # the schema check is not vacuous: no target metadata, a made-up time zone are rejected
    del task["target_metadata"]
    assert any("target_metadata" in e for e in schema_errors(tasks, "tasks"))
    admin["timezone"] = "Peru/Lima"
    assert schema_errors(admin, "admin") != []


def test_a_second_round_in_parquet_with_a_locations_file(
    cli, zeros_panel: pd.DataFrame, tmp_path: Path
) -> None:
    """Two runs into one hub (codes from a mapping file): the first round in CSV, the second
    in Parquet. The hub describes both rounds and hubdata reads both formats; rewriting a
    round in the other format replaces its file (a hub takes one file per round)."""
    mapping = tmp_path / "codes.csv"
    mapping.write_text("region,location\nAREQUIPA,PE-ARE\nCALLAO,PE-CAL\nPIURA,PE-PIU\n")
    out = tmp_path / "report"
    earlier = zeros_panel[zeros_panel["week_start"] < pd.Timestamp("2022-12-25")]
    for panel, fmt in ((earlier, "csv"), (zeros_panel, "parquet")):
        csv = write_csv(panel, tmp_path / "panel.csv")
        result = cli(report_args(csv, out, "--locations", str(mapping), "--hub-format", fmt))
        assert result.code == 0, result.stderr
    hub = out / "hub"
    folder = hub / "model-output" / "vigia-persistence"
    assert sorted(p.name for p in folder.iterdir()) == [
        "2022-12-24-vigia-persistence.csv",
        "2022-12-31-vigia-persistence.parquet",
    ]
    tasks = read_config(hub, "tasks")
    assert schema_errors(tasks, "tasks") == []
    task_ids = tasks["rounds"][0]["model_tasks"][0]["task_ids"]
    assert task_ids["reference_date"]["optional"] == ["2022-12-24", "2022-12-31"]
    table = hub_table(hub)
    assert len(table) == 2 * 3 * 4 * 23
    assert set(table["location"]) == {"PE-ARE", "PE-CAL", "PE-PIU"}
    assert table["reference_date"].astype(str).value_counts().to_dict() == {
        "2022-12-24": 3 * 4 * 23,
        "2022-12-31": 3 * 4 * 23,
    }
    rewritten = table[table["reference_date"].astype(str) == "2022-12-31"].drop(columns="model_id")
    write_rounds(rewritten.astype({"reference_date": str, "target_end_date": str}), hub,
                 "vigia-persistence", "csv")  # fmt: skip
    assert sorted(p.name for p in folder.iterdir()) == [
        "2022-12-24-vigia-persistence.csv",
        "2022-12-31-vigia-persistence.csv",
    ]
    assert len(hub_table(hub)) == 2 * 3 * 4 * 23


def test_locations_file_missing_a_region_is_one_line(
    cli, zeros_panel: pd.DataFrame, tmp_path: Path
) -> None:
    mapping = tmp_path / "codes.csv"
    mapping.write_text("region,location\nAREQUIPA,04\nCALLAO,07\n")
    csv = write_csv(zeros_panel, tmp_path / "zeros.csv")
    result = cli(report_args(csv, tmp_path / "x", "--locations", str(mapping)))
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        f"vigia: error: {mapping}: no location code for region(s) PIURA"
    ]
    assert "fitting" not in result.stderr + result.stdout  # refused before any model work


def test_bad_model_id_is_one_line_before_any_work(cli, tmp_path: Path) -> None:
    result = cli(["forecast", "report", "--model-id", "my model", "--out", str(tmp_path / "x")])
    assert result.code == 2
    assert result.stderr.strip().splitlines() == [
        "vigia: error: model id 'my model' is not a hubverse id 'team-model' (letters, digits, "
        "'_' or '+'; team ≤ 16 and model ≤ 15 characters)"
    ]
    assert not (tmp_path / "x").exists()


def hub_wis(hub: Path) -> pd.Series:
    """Mean WIS per model the way a hub evaluation computes it, from the hub alone: quantile
    (pinball) losses of every model-output row against ``target-data/time-series.csv``, WIS =
    2 × their mean over the 23 levels of a task, averaged over tasks."""
    forecasts = hub_table(hub)
    time_series = hubdata.connect_target_data(hub, TargetType.TIME_SERIES)
    truth = time_series.to_table().to_pandas()
    forecasts["target_end_date"] = pd.to_datetime(forecasts["target_end_date"])
    truth["target_end_date"] = pd.to_datetime(truth["target_end_date"])
    rows = forecasts.merge(truth, on=["target_end_date", "target", "location"], how="inner")
    tau, q, y = rows["output_type_id"], rows["value"], rows["observation"]
    rows["pinball"] = np.maximum(tau * (y - q), (tau - 1) * (y - q))
    task = ["model_id", "reference_date", "location", "horizon"]
    per_task = rows.groupby(task)["pinball"].mean() * 2
    return per_task.groupby("model_id").mean()


def test_backtest_hub_evaluation_reproduces_vigia_wis(
    cli, slice_panel: pd.DataFrame, tmp_path: Path
) -> None:
    csv = write_csv(slice_panel, tmp_path / "three.csv")
    out = tmp_path / "bt"
    result = cli(
        [
            "forecast",
            "backtest",
            "--panel",
            str(csv),
            "--methods",
            "constant",
            "--years",
            "0.25",
            "--refit-every",
            "4",
            "--out",
            str(out),
        ]
    )
    assert result.code == 0, result.stderr
    scores = json.loads((out / "scores.json").read_text(encoding="utf-8"))
    hub = out / "hub"
    assert schema_errors(read_config(hub, "tasks"), "tasks") == []
    models = sorted(p.name for p in (hub / "model-output").iterdir())
    assert models == ["vigia-constant", "vigia-persistence", "vigia-seasonal_naive"]
    for model in models:  # one round (file) per origin
        names = sorted(p.name for p in (hub / "model-output" / model).iterdir())
        assert len(names) == scores["origins"]
        first_round = pd.Timestamp(scores["first_origin"]) + pd.Timedelta(days=6)
        assert names[0] == f"{first_round:%Y-%m-%d}-{model}.csv"
    assert nonconforming(hub_table(hub), read_config(hub, "tasks")) == []
    wis = hub_wis(hub)
    for method, summary in scores["methods"].items():
        assert wis[f"vigia-{method}"] == pytest.approx(summary["wis"], rel=1e-9)
