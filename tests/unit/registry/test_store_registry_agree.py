"""Push and registry move together (issue 15, defect 6): a crash between moving ``CURRENT`` and
moving the ``champion`` alias left live v2 / champion v1, ``rollback`` refused and the next gate
compared against v1. The next command repairs the split and says what it did.

Real MLflow registry (SQLite) and real persistence bundles on three Peru departments; the crash
state is made exactly as the crash leaves it (store pushed, alias not moved)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd

from vigia.evaluate.gates import Decision
from vigia.registry.lifecycle import reconcile, registry_for, rollback
from vigia.registry.store import ModelStore
from vigia.training import candidate_metrics, evaluate_candidate, push_approved, train_forecaster
from vigia.workspace import Workspace

NAME = "dengue-forecast"


def _register(ws: Workspace, panel: pd.DataFrame, method: str) -> tuple[int, Path, Decision]:
    bundle = ws.root / f"bundle-{method}"
    train_forecaster(panel, method, 0, bundle, {"data_hash": "test"})
    scores, decision = evaluate_candidate(panel, method, 0, {"max_relative_wis": 5.0}, None,
                                          years=0.25)  # fmt: skip
    info = registry_for(ws).log_training_run(
        experiment=NAME, registered_name=NAME, bundle=bundle, params={"method": method},
        metrics=candidate_metrics(scores), tags={}, artifacts={}, approved=decision.approved,
    )  # fmt: skip
    return info.version, bundle, decision


def test_a_push_that_died_before_the_alias_is_repaired_and_rollback_works(
    workspace: Workspace, small_panel: pd.DataFrame
) -> None:
    store, registry = ModelStore(workspace.models), registry_for(workspace)
    v1, b1, d1 = _register(workspace, small_panel, "persistence")
    push_approved(b1, d1, NAME, v1, workspace.models, workspace.tracking_uri)
    v2, b2, _ = _register(workspace, small_panel, "seasonal_naive")
    # The crash: CURRENT moved to v2 (checked), the process died before promote().
    store.push(NAME, v2, b2, manifest_updates={"name": NAME, "version": v2})
    (store.model_dir(NAME) / ".push-9-999999999-x").mkdir()  # and a staging folder it left
    champion = registry.champion(NAME)
    assert store.current(NAME) == 2 and champion is not None and champion.version == 1

    done = rollback(workspace, NAME)  # refused before the fix: "no approved version older"
    assert any("champion moved to the live version 2 (was version 1)" in r for r in done.repaired)
    assert any("staging folder .push-9" in r for r in done.repaired)
    assert (done.from_version, done.to_version) == (2, 1)
    champion = registry.champion(NAME)
    assert store.current(NAME) == 1 and champion is not None and champion.version == 1
    assert reconcile(store, registry, NAME) == []  # they agree now


def test_the_cli_prints_the_repair(workspace: Workspace, small_panel: pd.DataFrame, cli) -> None:  # type: ignore[no-untyped-def]
    store = ModelStore(workspace.models)
    v1, b1, d1 = _register(workspace, small_panel, "persistence")
    push_approved(b1, d1, NAME, v1, workspace.models, workspace.tracking_uri)
    v2, b2, _ = _register(workspace, small_panel, "seasonal_naive")
    store.push(NAME, v2, b2, manifest_updates={"name": NAME, "version": v2})
    result = cli(["--workspace", str(workspace.root), "models", "rollback", "--name", NAME])
    assert result.code == 0, result.stderr
    assert "repaired: champion moved to the live version 2" in result.stdout
    assert "version 2 → 1" in result.stdout


HOLD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from vigia.pipelines.local import workspace_lock
    from vigia.workspace import Workspace
    with workspace_lock(Workspace(Path(sys.argv[1])), sys.stdout):
        print("holding", flush=True)
        time.sleep(float(sys.argv[2]))
    print("released", time.time(), flush=True)
    """
)
TAKE = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from vigia.pipelines.local import workspace_lock
    from vigia.workspace import Workspace
    with workspace_lock(Workspace(Path(sys.argv[1])), sys.stdout):
        print("got it", time.time(), flush=True)
    """
)


def test_a_second_run_in_the_workspace_waits_for_the_first(workspace: Workspace) -> None:
    """Issue 15, defect 7: two runs at once reported each other's results."""
    env = {**os.environ}
    env.pop("VIGIA_PIPELINE_LOCK", None)
    first = subprocess.Popen([sys.executable, "-c", HOLD, str(workspace.root), "3"],
                             stdout=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert first.stdout is not None and first.stdout.readline().strip() == "holding"
    started = time.time()
    second = subprocess.run([sys.executable, "-c", TAKE, str(workspace.root)],
                            capture_output=True, text=True, env=env, timeout=600)  # fmt: skip
    out, _ = first.communicate(timeout=60)
    released = float(out.split()[-1])
    got = float(second.stdout.split()[-1])
    assert "waiting for the pipeline run in this workspace (pid" in second.stdout
    assert got >= released - 0.5 and got - started >= 1.0


def test_a_cluster_rollback_is_not_undone_by_the_next_reconcile(
    workspace: Workspace, small_panel: pd.DataFrame
) -> None:
    """``vigia models rollback --cluster`` moves the served version and the alias, and tags the
    version it left; the bucket's ``CURRENT`` still names it until the next pipeline run, whose
    reconcile must move ``CURRENT`` back — not roll the champion forward to the bad version."""
    store, registry = ModelStore(workspace.models), registry_for(workspace)
    v1, b1, d1 = _register(workspace, small_panel, "persistence")
    push_approved(b1, d1, NAME, v1, workspace.models, workspace.tracking_uri)
    v2, b2, d2 = _register(workspace, small_panel, "seasonal_naive")
    push_approved(b2, d2, NAME, v2, workspace.models, workspace.tracking_uri)
    registry.promote(NAME, v1)  # what cluster_rollback does with a registry
    registry.mark_rolled_back(NAME, v2)
    assert store.current(NAME) == 2
    repaired = reconcile(store, registry, NAME)
    assert repaired == ["live version moved back to the champion 1 (was 2)"]
    assert store.current(NAME) == 1
    # Promoting the version again on purpose (a later release of it) clears the mark.
    registry.promote(NAME, v2)
    assert not registry.rolled_back(NAME, v2)
