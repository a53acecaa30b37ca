"""The gate compares the candidate's scope with the champion's, as recorded in the registry
(issue 15, defect 4: a 3-region synthetic panel replaced the 21-region champion)."""

from __future__ import annotations

import json

import pandas as pd

from vigia.registry.lifecycle import registry_for
from vigia.registry.tracking import SCOPE_TAG
from vigia.training import candidate_metrics, evaluate_candidate, train_forecaster
from vigia.workspace import Workspace

NAME = "dengue-forecast"
GATE = {"max_relative_wis": 5.0}


def test_gate_reads_the_champion_scope_from_the_registry(
    workspace: Workspace, small_panel: pd.DataFrame
) -> None:
    registry = registry_for(workspace)
    bundle = workspace.root / "bundle"
    train_forecaster(small_panel, "persistence", 0, bundle, {"data_hash": "test"})
    scores, decision = evaluate_candidate(small_panel, "persistence", 0, GATE, None, years=0.25,
                                          source="peru")  # fmt: skip
    assert decision.approved and scores["scope"]["regions"] == sorted(
        small_panel["region"].unique()
    )
    info = registry.log_training_run(
        experiment=NAME, registered_name=NAME, bundle=bundle, params={}, artifacts={},
        metrics=candidate_metrics(scores), tags={SCOPE_TAG: json.dumps(scores["scope"])},
        approved=True,
    )  # fmt: skip
    registry.promote(NAME, info.version)
    champion = registry.champion(NAME)
    assert champion is not None
    champion_scope = registry.scope(champion)
    assert champion_scope == scores["scope"]

    two = small_panel[small_panel["region"] != "TUMBES"].reset_index(drop=True)
    other = {"source": "/data/other.csv", "champion_scope": champion_scope}
    _, refused = evaluate_candidate(two, "persistence", 0, GATE, None, years=0.25, **other)
    assert not refused.approved
    reason = next(r for r in refused.reasons if r.startswith("FAIL"))
    assert "1 champion regions missing (TUMBES)" in reason and "source /data/other.csv" in reason
    _, on_purpose = evaluate_candidate(
        two, "persistence", 0, GATE, None, years=0.25, replaces_scope=True, **other
    )
    assert on_purpose.approved
