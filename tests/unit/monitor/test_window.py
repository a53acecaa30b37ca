"""Logged forecasts from the payload log: one row per (region, origin), corrupt lines counted."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from vigia.monitor.window import LoggedForecasts, logged_forecasts
from vigia.payloads import read_payloads

CUT_OFF = pd.Timestamp("2021-12-26")
WEEKS = [CUT_OFF + pd.Timedelta(weeks=k) for k in (1, 2, 3)]


def test_rows_are_what_the_model_saw_and_said(
    serve_weeks: Callable[..., int], payload_folder: Path, peru_panel: pd.DataFrame
) -> None:
    assert serve_weeks(WEEKS) == 3
    records, skipped = read_payloads(payload_folder)
    logged = logged_forecasts(records, skipped_lines=skipped)
    assert len(logged) == 3 * 21 and logged.requests == 3 and skipped == 0
    assert logged.values.shape == (63, 4, 23)
    assert (np.diff(logged.values, axis=-1) >= 0).all()  # quantiles as served: non-crossing
    piura = logged.inputs[(logged.inputs["region"] == "PIURA")].set_index("origin")
    truth = peru_panel[peru_panel["region"] == "PIURA"].set_index("week_start")["cases"]
    for week in WEEKS:
        assert piura.loc[week, "last_cases"] == truth[week]
    assert {"level", "lag_0", "region_mean"} <= set(logged.feature_columns)
    assert logged.last_origin == WEEKS[-1]


def test_corrupt_and_truncated_lines_are_skipped_and_counted(
    serve_weeks: Callable[..., int], payload_folder: Path
) -> None:
    serve_weeks(WEEKS[:2])
    log_file = sorted(payload_folder.glob("*.jsonl"))[0]
    good = log_file.read_text(encoding="utf-8").splitlines()
    with open(log_file, "a", encoding="utf-8") as handle:
        handle.write("{not json\n")
        handle.write(good[0][: len(good[0]) // 2] + "\n")  # truncated mid-record
        handle.write('{"ts": "2024-01-01T00:00:00+00:00"}\n')  # not a payload record
    records, skipped = read_payloads(payload_folder)
    logged = logged_forecasts(records, skipped_lines=skipped)
    assert skipped == 3
    assert logged.skipped_lines == 3 and len(logged) == 2 * 21


def test_repeated_requests_count_once_and_malformed_rows_are_skipped(
    serve_weeks: Callable[..., int], payload_folder: Path
) -> None:
    serve_weeks([WEEKS[0], WEEKS[0]])
    records, _ = read_payloads(payload_folder)
    broken = {**records[0], "outputs": [{**records[0]["outputs"][0], "quantiles": [[1.0]]}]}
    broken["inputs"] = records[0]["inputs"][:1]
    other = {**records[0], "version": 99}
    logged = logged_forecasts([*records, broken, other], version=records[0]["version"])
    assert len(logged) == 21  # the same week twice: once
    assert logged.skipped_rows == 1
    assert logged.other_versions == 21


def test_round_trip_through_parquet(
    serve_weeks: Callable[..., int], payload_folder: Path, tmp_path: Path
) -> None:
    serve_weeks(WEEKS[:1])
    logged = logged_forecasts(read_payloads(payload_folder)[0])
    logged.save(tmp_path / "logged.parquet")
    back = LoggedForecasts.load(tmp_path / "logged.parquet")
    assert back.horizons == logged.horizons and back.levels == logged.levels
    np.testing.assert_allclose(back.values, logged.values)
    pd.testing.assert_frame_equal(back.inputs, logged.inputs)


def test_no_records_is_an_empty_window() -> None:
    logged = logged_forecasts([])
    assert len(logged) == 0 and logged.last_origin is None
    assert len(logged.between(CUT_OFF, None)) == 0
