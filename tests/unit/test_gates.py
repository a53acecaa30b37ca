"""The approval gate: no thresholds → not approved; every check must pass."""

from __future__ import annotations

from vigia.evaluate.gates import Decision, forecast_gate, load_gate_config


def test_no_thresholds_approve_nothing() -> None:
    decision = forecast_gate("xgboost", {"relative_wis": 0.5}, {}, None)
    assert not decision.approved
    assert "no gate thresholds configured" in decision.reasons[0]


def test_default_config_has_thresholds_and_gates_relative_wis() -> None:
    config = load_gate_config()
    assert config["max_relative_wis"] == 1.0
    regions = {"PIURA": {"relative_wis": 0.9, "baseline_wis": 40.0}}
    good = forecast_gate(
        "xgboost", {"relative_wis": 0.8, "coverage_90": 0.9}, config, None, regions
    )
    bad = forecast_gate(
        "constant", {"relative_wis": 3.2, "coverage_90": 0.9}, config, None, regions
    )
    assert good.approved, good.reasons
    assert not bad.approved
    assert any("3.200" in r and r.startswith("FAIL") for r in bad.reasons)
    # Every default check is configured, so a candidate without coverage or regions fails.
    bare = forecast_gate("xgboost", {"relative_wis": 0.8}, config, None)
    assert not bare.approved
    assert {c.name for c in bare.checks if not c.passed} == {"coverage_90", "regions"}


def test_champion_tolerance() -> None:
    config = {"max_relative_wis": 1.0, "champion_tolerance": 0.02}
    assert forecast_gate("m", {"relative_wis": 0.81}, config, {"relative_wis": 0.80}).approved
    worse = forecast_gate("m", {"relative_wis": 0.85}, config, {"relative_wis": 0.80})
    assert not worse.approved
    assert Decision.from_dict(worse.to_dict()).to_dict() == worse.to_dict()
    assert "NOT APPROVED" in worse.to_markdown()


PERU_21 = [f"R{i:02d}" for i in range(21)]
CHAMPION_SCOPE = {"regions": PERU_21, "horizons": [1, 2, 3, 4], "source": "peru"}
GOOD = {"relative_wis": 0.778, "coverage_90": 0.9}


def test_gate_refuses_a_candidate_for_other_regions_or_data() -> None:
    """Issue 15: a 3-region synthetic panel passed 'relative WIS 0.778 vs 0.808', became
    champion and the other 18 regions answered 404."""
    config = {"max_relative_wis": 1.0}
    three = {"regions": PERU_21[:3], "horizons": [1, 2, 3, 4], "source": "/data/synthetic.csv"}
    refused = forecast_gate("xgboost", GOOD, config, None, scope=three,
                            champion_scope=CHAMPION_SCOPE)  # fmt: skip
    assert not refused.approved
    reason = next(r for r in refused.reasons if r.startswith("FAIL"))
    assert "18 champion regions missing" in reason and "source /data/synthetic.csv" in reason
    other_horizons = {**CHAMPION_SCOPE, "horizons": [1, 2]}
    assert not forecast_gate("x", GOOD, config, None, scope=other_horizons,
                             champion_scope=CHAMPION_SCOPE).approved  # fmt: skip
    same = forecast_gate("x", GOOD, config, None, scope=dict(CHAMPION_SCOPE),
                         champion_scope=CHAMPION_SCOPE)  # fmt: skip
    assert same.approved
    on_purpose = forecast_gate("x", GOOD, config, None, scope=three,
                               champion_scope=CHAMPION_SCOPE, replaces_scope=True)  # fmt: skip
    assert on_purpose.approved and "replaces the champion's scope" in on_purpose.reasons[0]
    first = forecast_gate("x", GOOD, config, None, scope=three, champion_scope=None)
    assert first.approved  # no champion yet: nothing to be incompatible with
