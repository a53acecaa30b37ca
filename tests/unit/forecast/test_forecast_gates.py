"""The forecast gate: every configured check, each failure named with its numbers."""

from __future__ import annotations

from pathlib import Path

import pytest

from vigia.errors import VigiaError
from vigia.evaluate.gates import Decision, forecast_gate, load_gate_config

GOOD = {"relative_wis": 0.8, "coverage_90": 0.9}
REGIONS = {
    "PIURA": {"relative_wis": 0.7, "baseline_wis": 40.0},
    "LORETO": {"relative_wis": 0.9, "baseline_wis": 20.0},
    "AREQUIPA": {"relative_wis": 9.0, "baseline_wis": 0.05},  # near-empty: not judged
}


def test_default_config_approves_a_good_candidate_with_every_check() -> None:
    config = load_gate_config()
    decision = forecast_gate("hybrid", GOOD, config, None, regions=REGIONS)
    assert decision.approved
    assert [c.name for c in decision.checks] == [
        "relative_wis",
        "coverage_90",
        "champion",
        "regions",
    ]
    assert "1 near-empty region(s) not judged" in decision.reasons[-1]
    assert any(key.startswith("coverage_90_band") for key in decision.explanations)


@pytest.mark.parametrize(
    ("scores", "champion", "failing", "named"),
    [
        ({"relative_wis": 1.05, "coverage_90": 0.9}, None, "relative_wis", "1.050 >= 1.000"),
        (
            {"relative_wis": 0.8, "coverage_90": 0.62},
            None,
            "coverage_90",
            "0.620 below [0.80, 0.97]",
        ),
        (
            {"relative_wis": 0.8, "coverage_90": 0.99},
            None,
            "coverage_90",
            "0.990 above [0.80, 0.97]",
        ),
        (GOOD, {"relative_wis": 0.7}, "champion", "0.800 vs champion 0.700"),
        ({"relative_wis": 0.8}, None, "coverage_90", "missing from the scores"),
    ],
)
def test_each_failing_check_is_named_with_its_numbers(
    scores: dict[str, float], champion: dict[str, float] | None, failing: str, named: str
) -> None:
    decision = forecast_gate("hybrid", scores, load_gate_config(), champion, regions=REGIONS)
    assert not decision.approved
    failed = [c for c in decision.checks if not c.passed]
    assert [c.name for c in failed] == [failing]
    assert named in failed[0].message
    assert f"FAIL {failed[0].message}" in decision.reasons
    assert "NOT APPROVED" in decision.to_markdown()
    assert named in decision.to_markdown()


def test_region_check_names_every_failing_region() -> None:
    regions = {
        **REGIONS,
        "ICA": {"relative_wis": 1.9, "baseline_wis": 30.0},
        "TUMBES": {"relative_wis": 1.6, "baseline_wis": 3.0},
    }
    decision = forecast_gate("m", GOOD, load_gate_config(), None, regions=regions)
    check = next(c for c in decision.checks if c.name == "regions")
    assert not check.passed
    assert check.value == pytest.approx(1.9)
    assert "ICA 1.90, TUMBES 1.60" in check.message
    assert "AREQUIPA" not in check.message


def test_region_check_without_region_scores_fails() -> None:
    decision = forecast_gate("m", GOOD, {"max_region_relative_wis": 1.5}, None)
    assert not decision.approved
    assert "per-region scores missing" in decision.reasons[0]


def test_decision_round_trips_with_explanations() -> None:
    decision = forecast_gate("m", GOOD, load_gate_config(), {"relative_wis": 0.5}, regions=REGIONS)
    again = Decision.from_dict(decision.to_dict())
    assert again.to_dict() == decision.to_dict()
    assert "What the checks mean" in again.to_markdown()


def test_a_malformed_band_is_a_user_error(tmp_path: Path) -> None:
    config = tmp_path / "gates.toml"
    config.write_text("[forecast]\ncoverage_90_band = 0.9\n", encoding="utf-8")
    with pytest.raises(VigiaError, match="coverage_90_band must be"):
        forecast_gate("m", GOOD, load_gate_config(config), None)
