"""A corpus of unusual and malformed weekly panels, as real surveillance exports come.

Every panel goes through ``vigia forecast backtest`` (in-process ``vigia.cli.main.main``, the
console script's own entry point) and through ``vigia pipeline run training --source``'s
pre-flight check, the step that decides before a run starts whether the source is usable. Each
either works or exits 2 with one readable line; nothing raises; a refusal changes nothing in the
workspace. A few accepted panels run the whole training pipeline (kfp.local) through the real
console script, and the ragged bundle it pushes is served.

The panels are built at test time from the real Peru panel (three departments, 2019–2022).
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.cli.main import build_parser, main
from vigia.cli.pipeline import training_spec
from vigia.workflows.training import preflight
from vigia.workspace import Workspace

BACKTEST = ["--methods", "persistence", "--years", "0.25"]  # cheap: a quarter of origins


@dataclass
class Case:
    name: str
    write: Callable[[Path], Path]
    args: list[str] = field(default_factory=list)
    refused: tuple[str, ...] = ()  # words of the one-line error; empty: accepted


def _frame(panel: pd.DataFrame) -> pd.DataFrame:
    out = panel[["region", "week_start", "cases"]].copy()
    out["week_start"] = out["week_start"].dt.strftime("%Y-%m-%d")
    return out


def _csv(frame: pd.DataFrame, sep: str = ",", encoding: str = "utf-8", **kw: object) -> bytes:
    return frame.to_csv(index=False, sep=sep, **kw).encode(encoding)  # type: ignore[arg-type]


def _writer(name: str, content: Callable[[], bytes]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content())
        return path

    return write


def corpus(panel: pd.DataFrame) -> list[Case]:
    """50 panels: 34 that must work, 16 that must be refused with one line."""
    rng = np.random.default_rng(12)
    base = _frame(panel)
    regions = sorted(base["region"].unique())

    def ragged() -> pd.DataFrame:
        parts = []
        for i, (_, group) in enumerate(base.groupby("region")):
            parts.append(group.iloc[i * 30 : len(group) - (2 - i) * 20])
        return pd.concat(parts)

    def gapped() -> pd.DataFrame:
        keep = rng.random(len(base)) > 0.1
        return base[keep]

    def anchored() -> pd.DataFrame:  # one city reports on Mondays, one on Saturdays
        out = base.copy()
        shift = out["region"].map({regions[0]: 1, regions[1]: 6, regions[2]: 0})
        dates = pd.to_datetime(out["week_start"]) + pd.to_timedelta(shift, unit="D")
        out["week_start"] = dates.dt.strftime("%Y-%m-%d")
        return out

    def restarting() -> pd.DataFrame:  # week 1 starts on 1 January: 8–9-day last steps
        dates = pd.to_datetime(base["week_start"])
        year = (dates + pd.Timedelta(days=3)).dt.year
        week = (dates + pd.Timedelta(days=3)).dt.dayofyear.sub(1) // 7
        out = base.copy()
        start = pd.to_datetime(year.astype(str) + "-01-01") + pd.to_timedelta(7 * week, "D")
        out["week_start"] = start.dt.strftime("%Y-%m-%d")
        return out.drop_duplicates(["region", "week_start"])

    def year_week(system: str) -> pd.DataFrame:
        dates = pd.to_datetime(base["week_start"])
        if system == "iso":
            dates = dates + pd.Timedelta(days=1)  # Mondays
            iso = dates.dt.isocalendar()
            year, week = iso["year"], iso["week"]
        else:
            middle = dates + pd.Timedelta(days=3)
            year, week = middle.dt.year, (middle.dt.dayofyear - 1) // 7 + 1
        return pd.DataFrame(
            {"dept": base["region"], "anio": year, "semana": week, "casos": base["cases"]}
        )

    def renamed(names: dict[str, str]) -> pd.DataFrame:
        return base.assign(region=base["region"].map(names))

    def with_column(name: str, values: object) -> pd.DataFrame:
        return base.assign(**{name: values})

    def one_region() -> pd.DataFrame:
        return base[base["region"] == regions[0]]

    def scaled(factor: float) -> pd.DataFrame:
        return base.assign(cases=base["cases"] * factor)

    def zeros_but_one() -> pd.DataFrame:
        out = base.assign(cases=0.0)
        out.iloc[len(out) // 2, out.columns.get_loc("cases")] = 37.0
        return out

    def long_gap() -> pd.DataFrame:
        weeks = pd.to_datetime(base["week_start"])
        hole = (base["region"] == regions[0]) & weeks.between("2020-03-01", "2020-12-31")
        return base[~hole]

    def big_file() -> bytes:  # ~50 MB: a long free-text note beside every row
        copies = pd.concat([base.assign(region=base["region"] + f" {k}") for k in range(4)])
        filler = "observación de campo; " * 900
        return _csv(copies.assign(notas=[f"{i}: {filler}" for i in range(len(copies))]))

    mixed_dates = base.copy()
    odd = np.arange(len(mixed_dates)) % 2 == 1
    mixed_dates.loc[odd, "week_start"] = pd.to_datetime(
        mixed_dates.loc[odd, "week_start"]
    ).dt.strftime("%d/%m/%Y")
    padded = _csv(base, sep=";").replace(b"\n", b";;;\n").replace(b"cases;;;\n", b"cases\n")
    accents = {regions[0]: "Cañete", regions[1]: "Ñuñoa", regions[2]: "São Tomé"}
    quoted = {regions[0]: 'Lima, "Centro"', regions[1]: "O'Higgins", regions[2]: "Río; Sur"}
    na_marks = base.astype({"cases": object})
    na_marks.iloc[5:40:7, na_marks.columns.get_loc("cases")] = "NA"
    decimal = _csv(scaled(0.5), sep=";").replace(b".5", b",5").replace(b".0", b"")
    short = base[pd.to_datetime(base["week_start"]) < pd.Timestamp("2019-05-20")]

    accepted = [
        Case("regular.csv", _writer("regular.csv", lambda: _csv(base))),
        Case("ragged.csv", _writer("ragged.csv", lambda: _csv(ragged()))),
        Case("gapped.csv", _writer("gapped.csv", lambda: _csv(gapped()))),
        Case(
            "ragged_gapped.csv",
            _writer("rg.csv", lambda: _csv(ragged().sample(frac=0.9, random_state=1))),
        ),
        Case("mixed_anchors.csv", _writer("anchors.csv", lambda: _csv(anchored()))),
        Case("year_restart.csv", _writer("restart.csv", lambda: _csv(restarting()))),
        Case(
            "semicolon_cp1252.csv",
            _writer("semi.csv", lambda: _csv(renamed(accents), ";", "cp1252")),
        ),
        Case(
            "latin1_forced.csv",
            _writer("latin1.csv", lambda: _csv(renamed(accents), ",", "latin-1")),
            ["--encoding", "latin-1"],
        ),
        Case("gzip.csv.gz", _writer("panel.csv.gz", lambda: gzip.compress(_csv(base)))),
        Case(
            "utf16_tab.txt", _writer("unicode.txt", lambda: _csv(renamed(accents), "\t", "utf-16"))
        ),
        Case("utf8_bom.csv", _writer("bom.csv", lambda: b"\xef\xbb\xbf" + _csv(base))),
        Case(
            "notes_column.csv", _writer("notes.csv", lambda: _csv(with_column("notes", "revisado")))
        ),
        Case(
            "year_week_mmwr.csv",
            _writer("yw.csv", lambda: _csv(year_week("mmwr"))),
            [
                "--region-col",
                "dept",
                "--target-col",
                "casos",
                "--year-col",
                "anio",
                "--week-col",
                "semana",
            ],
        ),
        Case(
            "year_week_iso.csv",
            _writer("ywiso.csv", lambda: _csv(year_week("iso"))),
            [
                "--region-col",
                "dept",
                "--target-col",
                "casos",
                "--year-col",
                "anio",
                "--week-col",
                "semana",
                "--week-rule",
                "iso",
            ],
        ),
        Case("one_region.csv", _writer("one.csv", lambda: _csv(one_region()))),
        Case("all_zeros.csv", _writer("zeros.csv", lambda: _csv(scaled(0.0)))),
        Case("zeros_but_one_week.csv", _writer("zb1.csv", lambda: _csv(zeros_but_one()))),
        Case("huge_counts.csv", _writer("huge.csv", lambda: _csv(scaled(1e4)))),
        Case("float_counts.csv", _writer("float.csv", lambda: _csv(scaled(1 / 3)))),
        Case(
            "covariate_gaps.csv",
            _writer(
                "cov.csv",
                lambda: _csv(
                    with_column(
                        "rain", np.where(rng.random(len(base)) < 0.3, np.nan, rng.random(len(base)))
                    )
                ),
            ),
        ),
        Case("mixed_date_formats.csv", _writer("dates.csv", lambda: _csv(mixed_dates))),
        Case("names_commas_quotes.csv", _writer("quotes.csv", lambda: _csv(renamed(quoted)))),
        Case("missing_zero.csv", _writer("mz.csv", lambda: _csv(gapped())), ["--missing", "zero"]),
        Case("long_gap_split.csv", _writer("longgap.csv", lambda: _csv(long_gap()))),
        Case("crlf.csv", _writer("crlf.csv", lambda: _csv(base, lineterminator="\r\n"))),
        Case("na_markers.csv", _writer("na.csv", lambda: _csv(na_marks))),
        Case("decimal_comma.csv", _writer("dec.csv", lambda: decimal)),
        Case("excel_padding.csv", _writer("pad.csv", lambda: padded + b"\n;;;\n")),
        Case(
            "other_names.csv",
            _writer(
                "names.csv",
                lambda: _csv(
                    base.rename(
                        columns={"region": "provincia", "week_start": "fecha", "cases": "n"}
                    )
                ),
            ),
            ["--region-col", "provincia", "--date-col", "fecha", "--target-col", "n"],
        ),
        Case(
            "shuffled.csv", _writer("shuf.csv", lambda: _csv(base.sample(frac=1.0, random_state=3)))
        ),
        Case("big_50mb.csv", _writer("big.csv", big_file)),
        Case(
            "week_rule_none.csv", _writer("none.csv", lambda: _csv(base)), ["--week-rule", "none"]
        ),
        Case(
            "datetime_strings.csv",
            _writer(
                "dt.csv", lambda: _csv(base.assign(week_start=base["week_start"] + " 00:00:00"))
            ),
        ),
        Case(
            "numeric_region_codes.csv",
            _writer(
                "codes.csv", lambda: _csv(renamed({r: f"0{i}" for i, r in enumerate(regions)}))
            ),
        ),
    ]
    refused = [
        Case(
            "one_week.csv",
            _writer("oneweek.csv", lambda: _csv(base.groupby("region").head(1))),
            refused=("too short",),
        ),
        Case("very_short.csv", _writer("short.csv", lambda: _csv(short)), refused=("too short",)),
        Case(
            "implausible.csv",
            _writer("1e300.csv", lambda: _csv(base).replace(b"\n", b"\nZ,2020-01-05,1e300\n", 1)),
            refused=("implausible weekly count 1e+300", "line 2"),
        ),
        Case(
            "negative.csv",
            _writer("neg.csv", lambda: _csv(scaled(-1.0).assign(cases=lambda f: f["cases"] - 1))),
            refused=("negative count",),
        ),
        Case(
            "duplicate_rows.csv",
            _writer("dup.csv", lambda: _csv(pd.concat([base, base.head(2)]))),
            refused=("duplicate region-week",),
        ),
        Case(
            "missing_column.csv",
            _writer("nocol.csv", lambda: _csv(base.drop(columns="cases"))),
            refused=("missing column 'cases'",),
        ),
        Case(
            "bad_date.csv",
            _writer("baddate.csv", lambda: _csv(base.assign(week_start="week 5"))),
            refused=("not a date",),
        ),
        Case("empty.csv", _writer("empty.csv", lambda: b""), refused=("empty",)),
        Case(
            "header_only.csv",
            _writer("header.csv", lambda: b"region,week_start,cases\n"),
            refused=("no data rows",),
        ),
        Case(
            "workbook.xlsx",
            _writer("book.xlsx", lambda: b"PK\x03\x04" + bytes(200)),
            refused=("Excel workbook",),
        ),
        Case(
            "week_54.csv",
            _writer("w54.csv", lambda: _csv(year_week("mmwr").assign(semana=54))),
            [
                "--region-col",
                "dept",
                "--target-col",
                "casos",
                "--year-col",
                "anio",
                "--week-col",
                "semana",
            ],
            refused=("week 54 does not exist",),
        ),
        Case(
            "anchors_rule_none.csv",
            _writer("anone.csv", lambda: _csv(anchored())),
            ["--week-rule", "none"],
            refused=("same weekday",),
        ),
        Case(
            "thousands_separator.csv",
            _writer("thou.csv", lambda: _csv(base.assign(cases="1,234"))),
            refused=("not a number", "'1,234'"),
        ),
        Case(
            "binary.csv",
            _writer("bin.csv", lambda: bytes(range(256)) * 4),
            refused=("binary content",),
        ),
        Case(
            "unknown_covariate.csv",
            _writer("unkcov.csv", lambda: _csv(base)),
            ["--covariates", "rain"],
            refused=("covariate column 'rain' not found",),
        ),
        Case(
            "ragged_row.csv",
            _writer("rrow.csv", lambda: _csv(base) + b"A,2021-01-03,1,extra\n"),
            refused=("malformed CSV",),
        ),
    ]
    return accepted + refused


def _snapshot(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_mtime_ns) for p in root.rglob("*"))


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as stop:
        code = int(stop.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture(scope="module")
def cases(peru_panel: pd.DataFrame) -> list[Case]:
    return corpus(peru_panel[peru_panel["region"].isin(["PIURA", "LORETO", "TUMBES"])])


def test_corpus_size(cases: list[Case]) -> None:
    refused = [c for c in cases if c.refused]
    assert len(cases) >= 40 and len(refused) == 16 and len(cases) - len(refused) == 34


def test_every_panel_works_or_is_refused_with_one_line(
    cases: list[Case], tmp_path: Path, workspace: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    (workspace.models / "keep.txt").write_text("stored", encoding="utf-8")
    outcomes = {}
    for case in cases:
        source = case.write(tmp_path)
        out = tmp_path / f"bt-{case.name}"
        before = _snapshot(workspace.root)
        code, stdout, stderr = _run(
            [
                "forecast",
                "backtest",
                "--panel",
                str(source),
                "--out",
                str(out),
                *BACKTEST,
                *case.args,
            ],
            capsys,
        )
        assert "Traceback" not in stdout + stderr, case.name
        # the pipeline's pre-flight: what `vigia pipeline run training --source` checks before
        # it starts a run (refusals through the real command: test below)
        args = build_parser().parse_args(
            [
                "pipeline",
                "run",
                "training",
                "--source",
                str(source),
                "--backtest-years",
                "0.25",
                *case.args,
            ]
        )
        if case.refused:
            lines = stderr.strip().splitlines()
            assert code == 2 and len(lines) == 1, (case.name, stderr)
            assert lines[0].startswith("vigia: error: "), case.name
            for word in case.refused:
                assert word in lines[0], (case.name, lines[0])
            assert not out.exists(), case.name
            with pytest.raises(Exception) as info:
                preflight(training_spec(args))
            assert type(info.value).__name__ in {"DataContractError", "VigiaError"}, case.name
            assert _snapshot(workspace.root) == before, case.name
        else:
            assert code == 0, (case.name, stderr)
            assert (out / "scores.json").exists() and (out / "report.html").exists(), case.name
            preflight(training_spec(args))
        outcomes[case.name] = code
        source.unlink()
    assert sum(1 for c in outcomes.values() if c == 0) == 34


def test_refusals_through_the_real_pipeline_command(
    cases: list[Case], tmp_path: Path, workspace: Workspace, cli
) -> None:
    """`vigia pipeline run training --source` refuses before a run starts: one line, exit 2,
    no run folder (a few refusals: each console-script start costs seconds)."""
    before = _snapshot(workspace.root)
    for case in [c for c in cases if c.refused][:4]:
        source = case.write(tmp_path)
        result = cli(["pipeline", "run", "training", "--source", str(source), *case.args])
        lines = result.stderr.strip().splitlines()
        assert result.code == 2 and len(lines) == 1, (case.name, result.stderr)
        assert "Traceback" not in result.stderr + result.stdout
    assert _snapshot(workspace.root) == before


def _ragged_export(panel: pd.DataFrame, folder: Path) -> Path:
    """A ragged, gapped, Monday/Saturday-anchored, semicolon, Windows-1252 export."""
    three = panel[panel["region"].isin(["PIURA", "LORETO", "TUMBES"])]
    frame = _frame(three)
    start = {"PIURA": 0, "LORETO": 40, "TUMBES": 0}
    stop = {"PIURA": 0, "LORETO": 0, "TUMBES": 3}  # TUMBES stops reporting 3 weeks early
    parts = [g.iloc[start[r] : len(g) - stop[r]] for r, g in frame.groupby("region", sort=True)]
    frame = pd.concat(parts).sample(frac=0.93, random_state=5)
    frame = frame.sort_values(["region", "week_start"])
    frame.loc[frame["region"] == "LORETO", "week_start"] = (
        pd.to_datetime(frame.loc[frame["region"] == "LORETO", "week_start"]) + pd.Timedelta(days=1)
    ).dt.strftime("%Y-%m-%d")
    frame["region"] = frame["region"].replace({"TUMBES": "Tumbes—Zarumilla, ñ"})
    frame["observación"] = "sin comentario"
    path = folder / "export.csv"
    buffer = io.StringIO()
    frame.to_csv(buffer, sep=";", index=False)
    path.write_bytes(buffer.getvalue().replace("—", "-").encode("cp1252"))
    return path


@pytest.mark.slow
def test_training_pipeline_and_serving_on_a_ragged_export(
    peru_panel: pd.DataFrame, tmp_path: Path, workspace: Workspace, cli
) -> None:
    """The whole training pipeline (kfp.local, real console script) on a ragged, gapped,
    mixed-anchor, semicolon, Windows-1252 export; the pushed bundle serves every region."""
    import json

    from vigia.registry.store import ModelStore
    from vigia.servables.kinds import load_servable

    source = _ragged_export(peru_panel, tmp_path)
    gates = tmp_path / "gates.toml"
    gates.write_text("[forecast]\nmax_relative_wis = 1.5\n", encoding="utf-8")
    result = cli(
        [
            "pipeline",
            "run",
            "training",
            "--source",
            str(source),
            "--method",  # the export's reading is under test; XGBoost on gaps: property tests
            "persistence",
            "--backtest-years",
            "0.25",
            "--gates",
            str(gates),
            "--json",
        ],
        timeout=2400,
    )
    assert result.code == 0, result.stderr[-2000:]
    outcome = json.loads(result.stdout)
    card = outcome["card"]
    assert card["ragged"] and card["missing_weeks"] > 0
    assert card["reading"]["encoding"] == "cp1252" and card["reading"]["rows_moved"] > 0
    assert card["reading"]["ignored_columns"] == ["observación"]
    scored = outcome["scores"]["region_origins"]
    assert set(scored) == set(card["regions"])
    last = card["weeks_by_region"]
    assert last["Tumbes-Zarumilla, ñ"][1] < last["PIURA"][1]  # it stopped reporting earlier
    assert outcome["pushed"], outcome["decision"]
    store = ModelStore(workspace.models)
    servable = load_servable(store.current_dir("dengue-forecast"))
    body = {"instances": [{"region": r} for r in card["regions"]]}
    batch = servable.parse_v1(body)
    values = servable.predict(batch)
    assert values.shape[0] == 3 and np.isfinite(values).all() and (values >= 0).all()

    # allocation and the officials' dashboard read the same ragged bundle
    population = tmp_path / "population.csv"
    population.write_text(
        'region,population\nPIURA,2047954\nLORETO,1027559\n"Tumbes-Zarumilla, ñ",251521\n',
        encoding="utf-8",
    )
    allocated = cli(
        [
            "allocate",
            "--resource",
            "test_kits",
            "--budget",
            "300",
            "--population",
            str(population),
            "--json",
        ]
    )
    assert allocated.code == 0, allocated.stderr[-2000:]
    plan = json.loads(allocated.stdout)
    assert {r["region"] for r in plan["regions"]} == set(card["regions"])
    # its forecast starts from its own last reported week, and the plan says so
    assert "Tumbes-Zarumilla, ñ" in plan["forecast_from_earlier_week"]
    board = cli(["dashboard", "--population", str(population)])
    assert board.code == 0, board.stderr[-2000:]
    page = (workspace.reports / "dashboard" / "index.html").read_text(encoding="utf-8")
    assert "Tumbes-Zarumilla, ñ" in page or "Tumbes-Zarumilla, &ntilde;" in page
