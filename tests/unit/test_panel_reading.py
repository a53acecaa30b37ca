"""Reading real surveillance exports: spreadsheet files, irregular week anchors, missing weeks,
epi-week numbers. Each rule of docs/forecasting.md "Panels from real exports" has a test here."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.data.card import card_markdown
from vigia.data.contract import load_panel_file, validate_panel
from vigia.data.ingest import ingest_panel
from vigia.data.read import PanelOptions
from vigia.errors import DataContractError


def _file(tmp_path: Path, text: str, name: str = "p.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_spreadsheet_export_semicolon_cp1252_gzip_decimal_comma(tmp_path: Path) -> None:
    text = "región;semana;casos;nota\nCañete;2021-01-03;1;sí\nCañete;2021-01-10;2,5;\n"
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress(text.encode("cp1252")))
    options = PanelOptions(region_col="región", date_col="semana", target_col="casos")
    panel, notes = load_panel_file(path, options)
    assert panel["region"].tolist() == ["Cañete", "Cañete"]
    assert panel["cases"].tolist() == [1.0, 2.5]
    assert notes["encoding"] == "cp1252" and notes["delimiter"] == ";" and notes["gzip"]
    assert notes["ignored_columns"] == ["nota"]  # text column: ignored, not a refusal


def test_forced_delimiter_and_encoding(tmp_path: Path) -> None:
    path = _file(tmp_path, "region|week_start|cases\nÑuñoa|2021-01-03|4\n", encoding="latin-1")
    panel, notes = load_panel_file(path, PanelOptions(delimiter="|", encoding="latin-1"))
    assert panel["region"].tolist() == ["Ñuñoa"] and notes["encoding"] == "latin-1"
    with pytest.raises(DataContractError, match="not utf-8 text"):
        load_panel_file(path, PanelOptions(encoding="utf-8"))


def test_named_covariates_only_and_text_covariate_refused(tmp_path: Path) -> None:
    text = "region,week_start,cases,rain,temp\nA,2021-01-03,1,3.5,20\nA,2021-01-10,2,,21\n"
    panel, notes = load_panel_file(_file(tmp_path, text), PanelOptions(covariates="rain"))
    assert list(panel.columns) == ["region", "week_start", "cases", "rain"]
    assert notes["ignored_columns"] == ["temp"]
    bad = "region,week_start,cases,rain\nA,2021-01-03,1,wet\n"
    with pytest.raises(DataContractError, match="column 'rain': not a number"):
        load_panel_file(_file(tmp_path, bad), PanelOptions(covariates="rain"))


def test_mixed_week_anchors_snap_to_mmwr_weeks_and_count_moves(tmp_path: Path) -> None:
    # one city reports on Mondays, the other on Saturdays
    mondays = pd.date_range("2021-01-04", periods=4, freq="7D")
    saturdays = pd.date_range("2021-01-09", periods=4, freq="7D")
    rows = [f"Lima,{d:%Y-%m-%d},{i}" for i, d in enumerate(mondays)]
    rows += [f"Iquitos,{d:%Y-%m-%d},{10 + i}" for i, d in enumerate(saturdays)]
    panel, notes = load_panel_file(
        _file(tmp_path, "region,week_start,cases\n" + "\n".join(rows)), PanelOptions()
    )
    assert set(panel["week_start"].dt.dayofweek) == {6}  # Sundays
    assert panel["cases"].sum() == sum(range(4)) + sum(range(10, 14))  # counts preserved
    assert notes["rows_moved"] == 8 and notes["max_shift_days"] == 6
    lima = panel[panel["region"] == "Lima"]["week_start"]
    assert lima.iloc[0] == pd.Timestamp("2021-01-03")
    # ISO rule: Mondays
    iso, _ = load_panel_file(
        _file(tmp_path, "region,week_start,cases\n" + "\n".join(rows)),
        PanelOptions(week_rule="iso"),
    )
    assert set(iso["week_start"].dt.dayofweek) == {0}
    with pytest.raises(DataContractError, match=r"same weekday.*--week-rule"):
        load_panel_file(
            _file(tmp_path, "region,week_start,cases\n" + "\n".join(rows)),
            PanelOptions(week_rule="none"),
        )


def test_weeks_restarting_each_year_and_collisions_are_summed(tmp_path: Path) -> None:
    # week 1 starts on 1 January every year: the last step of a year is 8 or 9 days
    dates = [
        pd.Timestamp(y, 1, 1) + pd.Timedelta(days=7 * k) for y in (2021, 2022) for k in range(52)
    ]
    rows = [f"A,{d:%Y-%m-%d},1" for d in dates] + ["A,2021-01-02,5"]  # same MMWR week as 1 Jan
    panel, notes = load_panel_file(
        _file(tmp_path, "region,week_start,cases\n" + "\n".join(rows)), PanelOptions()
    )
    assert panel["cases"].sum() == len(dates) + 5
    assert notes["rows_merged"] == 1
    assert (panel["week_start"].diff().dropna().dt.days == 7).all()


def test_missing_weeks_are_nan_or_zero_on_request(tmp_path: Path) -> None:
    text = (
        "region,week_start,cases\nA,2021-01-03,1\nA,2021-01-24,4\nB,2021-01-10,2\nB,2021-01-17,\n"
    )
    panel, notes = load_panel_file(_file(tmp_path, text), PanelOptions())
    a = panel[panel["region"] == "A"]["cases"]
    assert a.isna().sum() == 2 and len(a) == 4
    assert panel[panel["region"] == "B"]["cases"].tolist() == [2.0]  # trailing empty: not a week
    assert notes["missing_weeks"] == {"A": 2}
    zero, notes = load_panel_file(_file(tmp_path, text), PanelOptions(missing="zero"))
    assert zero[zero["region"] == "A"]["cases"].tolist() == [1.0, 0.0, 0.0, 4.0]
    assert notes["filled_with_zero"] == 2


def test_a_gap_longer_than_max_gap_splits_the_series(tmp_path: Path) -> None:
    weeks = list(pd.date_range("2015-01-04", periods=60, freq="7D"))
    weeks += list(pd.date_range("2017-01-01", periods=60, freq="7D"))  # ~ 44 weeks later
    text = "region,week_start,cases\n" + "\n".join(f"A,{w:%Y-%m-%d},3" for w in weeks)
    panel, card = ingest_panel(str(_file(tmp_path, text)))
    assert len(panel) == 60 and panel["week_start"].min() == pd.Timestamp("2017-01-01")
    assert "A: weeks before a gap of more than 26 weeks" in card["rows_dropped"]
    kept, _ = load_panel_file(_file(tmp_path, text), PanelOptions(max_gap=52))
    assert kept["cases"].isna().sum() > 26


def test_year_and_week_number_columns(tmp_path: Path) -> None:
    text = "pais,anio,semana,casos\nA,2020,53,1\nA,2021,1,2\nA,2021,3,4\n"
    options = PanelOptions(
        region_col="pais", target_col="casos", year_col="anio", week_col="semana"
    )
    mmwr, _ = load_panel_file(_file(tmp_path, text), options)
    assert mmwr["week_start"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-12-27",  # MMWR 2020 has 53 weeks
        "2021-01-03",
        "2021-01-10",
        "2021-01-17",
    ]
    assert np.isnan(mmwr["cases"].iloc[2])
    iso, _ = load_panel_file(
        _file(tmp_path, text), PanelOptions(**{**options.__dict__, "week_rule": "iso"})
    )
    assert iso["week_start"].iloc[0] == pd.Timestamp("2020-12-28")  # ISO 2020-W53, a Monday
    with pytest.raises(DataContractError, match="week 53 does not exist in MMWR year 2021"):
        load_panel_file(_file(tmp_path, text.replace("2020,53", "2021,53")), options)


def test_data_card_reports_reading(tmp_path: Path) -> None:
    text = "region;week_start;cases;notes\nA;2021-01-04;1;x\nA;2021-01-25;2;y\nB;2021-01-09;3;z\n"
    _, card = ingest_panel(str(_file(tmp_path, text, encoding="cp1252")))
    assert card["missing_weeks_by_region"] == {"A": 2} and card["ragged"] is True
    page = card_markdown(card)
    for words in ("Missing weeks", "3 rows moved", "Ignored columns", "notes", "delimiter ';'"):
        assert words in page, words


def test_validate_panel_keeps_a_regular_panel_unchanged(small_panel: pd.DataFrame) -> None:
    again = validate_panel(small_panel)
    pd.testing.assert_frame_equal(again, small_panel.reset_index(drop=True), check_exact=True)
