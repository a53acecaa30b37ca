"""The risk page's pure parts: the form from V2 metadata + what inputs accept, per-field
validation in both languages, tiers from the configured thresholds, factors in words."""

from __future__ import annotations

import pytest

from vigia.risk.page import (
    form_fields,
    load_page_config,
    resolve_tiers,
    tier_for,
    top_factors,
    validate_submission,
)

METADATA = [
    {"name": "edad", "datatype": "FP64", "shape": [-1]},
    {"name": "sexo", "datatype": "BYTES", "shape": [-1]},
    {"name": "distrito", "datatype": "BYTES", "shape": [-1]},
    {"name": "cases_prev1_district", "datatype": "FP64", "shape": [-1]},
]
ACCEPTS = {
    "edad": {"kind": "numeric", "nullable": True, "minimum": 0.0, "maximum": 110.0, "median": 29.4},
    "sexo": {"kind": "categorical", "nullable": False, "categories": ["M", "F"], "complete": True},
    "distrito": {"kind": "categorical", "nullable": False, "categories": ["PIURA/PIURA/CASTILLA"],
                 "complete": False},
    "cases_prev1_district": {"kind": "numeric", "nullable": False, "minimum": 0.0,
                             "maximum": 400.0, "median": 3.0},
}  # fmt: skip


@pytest.fixture
def fields() -> list[dict]:
    return form_fields(METADATA, ACCEPTS, load_page_config("dengue-severity"))


def test_the_form_follows_the_metadata(fields: list[dict]) -> None:
    by_name = {f["name"]: f for f in fields}
    assert [f["name"] for f in fields][:3] == ["edad", "sexo", "distrito"]  # patient first
    assert by_name["edad"]["type"] == "number" and by_name["edad"]["maximum"] == 110.0
    assert by_name["edad"]["label"] == {"es": "Edad (años)", "en": "Age (years)"}
    assert by_name["sexo"]["type"] == "choice"
    assert {o["value"]: o["label"]["es"] for o in by_name["sexo"]["options"]} == {
        "F": "Femenino",
        "M": "Masculino",
    }
    assert by_name["distrito"]["type"] == "text"  # hundreds of values: suggestions only
    assert by_name["cases_prev1_district"]["patient"] is False
    assert by_name["cases_prev1_district"]["default"] == 3.0


def test_an_unknown_model_gets_default_labels_and_tiers() -> None:
    config = load_page_config("cohort-risk")
    fields = form_fields(METADATA[:1], {}, config)
    assert fields[0]["label"]["en"] == "Edad" and fields[0]["minimum"] is None
    tiers = resolve_tiers(config, threshold=0.2)
    assert [t.level for t in tiers] == ["low", "high"] and tiers[1].start == 0.2


def test_validation_names_each_bad_field_in_the_chosen_language(fields: list[dict]) -> None:
    values = {"edad": "200", "sexo": "X", "distrito": "", "cases_prev1_district": "tres"}
    _, errors = validate_submission(values, fields, "es")
    assert errors == {
        "edad": "Debe estar entre 0 y 110 (lo visto en los datos de entrenamiento).",
        "sexo": "Elija un valor de la lista.",
        "distrito": "Este dato es obligatorio.",
        "cases_prev1_district": "Escriba un número.",
    }
    _, errors = validate_submission({**values, "patient_nbr": "123"}, fields, "en")
    assert errors["patient_nbr"] == "Unknown field for this model."
    assert errors["edad"].startswith("Must be between 0 and 110")


def test_a_valid_submission_becomes_a_v1_instance(fields: list[dict]) -> None:
    values = {"edad": "34,5", "sexo": "f", "distrito": " PIURA/PIURA/CASTILLA ",
              "cases_prev1_district": 2}  # fmt: skip
    instance, errors = validate_submission(values, fields, "es")
    assert errors == {}
    assert instance == {"edad": 34.5, "sexo": "F", "distrito": "PIURA/PIURA/CASTILLA",
                        "cases_prev1_district": 2.0}  # fmt: skip
    instance, errors = validate_submission({**values, "edad": ""}, fields, "es")
    assert errors == {} and instance["edad"] is None  # age may be missing (nullable)


def test_tiers_follow_the_who_paho_groups_and_the_threshold() -> None:
    tiers = resolve_tiers(load_page_config("dengue-severity"), threshold=0.12)
    assert [(t.level, t.start) for t in tiers] == [("low", 0.0), ("medium", 0.12), ("high", 0.4)]
    assert tier_for(0.05, tiers).name["en"] == "Group A: home care"
    assert tier_for(0.12, tiers).name["es"] == "Grupo B: seguimiento estrecho o referencia"
    assert tier_for(0.9, tiers).level == "high"
    assert "PAHO" in tier_for(0.9, tiers).source["en"] and "OPS" in tiers[0].source["es"]


def test_factors_in_plain_words(fields: list[dict]) -> None:
    instance = {"edad": 70.0, "sexo": "F", "distrito": "X", "cases_prev1_district": 0.0}
    found = top_factors(
        {"edad": 0.8, "sexo": -0.2, "distrito": 0.1, "cases_prev1_district": 0.0},
        instance, fields, "es",
    )  # fmt: skip
    assert [f["text"] for f in found] == [
        "Edad (años): 70 — aumenta el riesgo",
        "Sexo: Femenino — reduce el riesgo",
        "Distrito (DEPARTAMENTO/PROVINCIA/DISTRITO): X — aumenta el riesgo",
    ]
    assert found[0]["weight"] == 1.0 and found[1]["weight"] == pytest.approx(0.25)
