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
