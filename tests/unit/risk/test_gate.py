"""The risk gate: thresholds against the prior-only baseline, calibration and the champion."""

from __future__ import annotations

from vigia.evaluate.gates import load_gate_config
from vigia.risk.gate import risk_gate

GOOD = {"roc_auc": 0.74, "pr_auc": 0.30, "brier": 0.09, "ece": 0.012, "prevalence": 0.12}
PRIOR = {"roc_auc": 0.5, "pr_auc": 0.12, "brier": 0.1056, "ece": 0.003, "prevalence": 0.12}


def test_packaged_thresholds_approve_a_useful_calibrated_model() -> None:
    config = load_gate_config(section="risk")
    assert {"min_roc_auc", "min_pr_auc_lift", "min_brier_skill", "max_ece"} <= set(config)
    decision = risk_gate("xgboost", GOOD, PRIOR, config, None)
    assert decision.approved, decision.reasons
    assert [c.name for c in decision.checks] == [
        "roc_auc",
        "pr_auc_lift",
        "brier_skill",
        "ece",
        "champion",
    ]


def test_each_check_can_refuse() -> None:
    config = load_gate_config(section="risk")
    for change, check in [
        ({"roc_auc": 0.55}, "roc_auc"),
        ({"pr_auc": 0.13}, "pr_auc_lift"),
        ({"brier": 0.11}, "brier_skill"),
        ({"ece": 0.08}, "ece"),
    ]:
        decision = risk_gate("m", {**GOOD, **change}, PRIOR, config, None)
        failed = [c.name for c in decision.checks if not c.passed]
        assert not decision.approved and failed == [check], (change, decision.reasons)


def test_champion_comparison_and_no_thresholds() -> None:
    config = {"min_roc_auc": 0.6, "champion_tolerance": 0.01}
    assert risk_gate("m", GOOD, PRIOR, config, {"roc_auc": 0.745}).approved
    worse = risk_gate("m", GOOD, PRIOR, config, {"roc_auc": 0.76})
    assert not worse.approved and "vs champion 0.7600" in worse.reasons[-1]
    nothing = risk_gate("m", GOOD, PRIOR, {}, None)
    assert not nothing.approved and "nothing is approved" in nothing.reasons[0]


def test_a_feature_identical_to_the_target_refuses_approval() -> None:
    """Issue 15: a column identical to the target was flagged by the EDA, yet the model was
    approved with ROC-AUC 1.0."""
    from risk_helpers import readmission_csv_frame

    from vigia.risk.gate import target_leaks

    table = readmission_csv_frame(600)
    table["y"] = (table["readmitted"] == "<30").astype(int)
    table["reingreso"] = table["readmitted"].map(lambda v: "si" if v == "<30" else "no")
    table["recoded"] = table["y"] * 7 + 1  # the same outcome, coded as numbers
    features = ["gender", "age", "time_in_hospital", "reingreso", "recoded"]
    assert target_leaks(table, features, "y") == ["reingreso", "recoded"]
    assert target_leaks(table, ["gender", "age", "number_inpatient"], "y") == []
    config = load_gate_config(section="risk")
    leaky = risk_gate("xgboost", {**GOOD, "roc_auc": 1.0}, PRIOR, config, None, ["reingreso"])
    assert not leaky.approved
    assert any("reingreso reproduce the target exactly" in r for r in leaky.reasons)
    clean = risk_gate("xgboost", GOOD, PRIOR, config, None, [])
    assert clean.approved and clean.checks[0].name == "target_leak"
