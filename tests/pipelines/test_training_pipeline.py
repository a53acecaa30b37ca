"""The training pipeline under kfp.local on a real slice, and its compiled YAML."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vigia.images import image_ref
from vigia.pipelines.compile import compile_all
from vigia.pipelines.local import run_pipeline_locally
from vigia.pipelines.training import (
    create_training_pipeline,
    read_training_outcome,
    training_arguments,
)
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.workspace import Workspace

SLICE = {"regions": "PIURA,LORETO,TUMBES", "backtest_years": 0.25, "refit_every": 13}
LOOSE_GATE = "[forecast]\nmax_relative_wis = 1.5\nchampion_tolerance = 0.05\n"


def _train(ws: Workspace, **overrides) -> dict:
    pipeline = create_training_pipeline(image_ref("project", "local"))
    run = run_pipeline_locally(
        pipeline, training_arguments(ws, LOOSE_GATE, **SLICE, **overrides), ws, quiet=True
    )
    return read_training_outcome(run)


def test_compiled_pipeline_structure(tmp_path: Path) -> None:
    path = next(p for p in compile_all(tmp_path) if p.name == "training.yaml")
    spec, *_platform_spec = yaml.safe_load_all(path.read_text())
    tasks = spec["root"]["dag"]["tasks"]
    assert set(tasks) == {
        "fingerprint", "ingest", "features", "train", "backtest-plan", "for-loop-1",
        "backtest-merge", "evaluate", "register", "condition-2",
    }  # fmt: skip
    # the ingest's cache key holds what the source holds, not only where it is
    fingerprint = tasks["ingest"]["inputs"]["parameters"]["source_fingerprint"]
    assert fingerprint["taskOutputParameter"]["producerTask"] == "fingerprint"
    assert tasks["fingerprint"]["cachingOptions"] == {}  # looks at the source every run
    for name in ("ingest", "features", "train", "backtest-plan", "backtest-merge"):
        assert tasks[name]["cachingOptions"] == {"enableCache": True}
    # the backtest fans out: one shard task per item of the plan's list, collected by the merge
    loop = tasks["for-loop-1"]
    assert (
        loop["parameterIterator"]["items"]["inputParameter"]
        == "pipelinechannel--backtest-plan-Output"
    )
    shard = spec["components"]["comp-for-loop-1"]["dag"]["tasks"]["backtest-shard"]
    assert shard["cachingOptions"] == {"enableCache": True}
    assert "pipelinechannel--backtest-plan-Output-loop-item" in str(
        shard["inputs"]["parameters"]["shard"]
    )
    collected = tasks["backtest-merge"]["inputs"]["artifacts"]["shards"]["taskOutputArtifact"]
    assert collected["producerTask"] == "for-loop-1"
    assert tasks["evaluate"]["inputs"]["artifacts"]["backtest"]["taskOutputArtifact"] == {
        "producerTask": "backtest-merge", "outputArtifactKey": "scores"
    }  # fmt: skip
    condition = tasks["condition-2"]
    assert "evaluate" in condition["dependentTasks"]
    assert "pipelinechannel--evaluate-Output" in condition["triggerPolicy"]["condition"]
    inner = spec["components"]["comp-condition-2"]["dag"]["tasks"]
    assert set(inner) == {"push", "promote", "dashboard"}
    assert inner["promote"]["dependentTasks"] == ["push"]  # the cluster canary's verdict
    assert inner["dashboard"]["dependentTasks"] == ["promote"]
    for name in ("evaluate", "register"):
        assert tasks[name]["cachingOptions"] == {}
    assert inner["push"]["cachingOptions"] == {}
    cluster_image = image_ref("project", "cluster")
    executors = spec["deploymentSpec"]["executors"]
    assert len(executors) == 12
    for executor in executors.values():
        container = executor["container"]
        assert container["image"] == cluster_image
        assert "pip install" not in " ".join(container["command"])  # kfp comes from the image
    inputs = spec["root"]["inputDefinitions"]["parameters"]
    assert {"tracking_uri", "store_root", "gate_config"} <= set(inputs)
    assert inputs["source"]["defaultValue"] == "peru"
    assert inputs["backtest_shards"]["defaultValue"] == 4


@pytest.mark.slow
def test_an_unchanged_rerun_reuses_pure_steps_and_changed_data_is_ingested_again(
    tmp_path: Path,
) -> None:
    """kfp.local's cache on the real pipeline: the same CSV again reuses ingest, features,
    train and the backtest's plan, shards and merge; new content written to the same path is
    ingested again (the fingerprint step puts what the file holds into the ingest's cache key).
    The backtest fans out into 4 shards whose merged scores are the single task's. The gate
    pushes an approved model and refuses a useless one (constant forecasts), which is
    registered as a challenger and never served. (One test, three runs: a pipeline run is the
    suite's costliest unit, docs/architecture.md.)"""
    from vigia.data.ingest import ingest_panel
    from vigia.training import backtest_candidate

    ws = Workspace(tmp_path / "ws").ensure()
    panel, _ = ingest_panel("peru", regions=SLICE["regions"])
    csv = tmp_path / "panel.csv"
    panel.to_csv(csv, index=False)
    pipeline = create_training_pipeline(image_ref("project", "local"))
    # 22 origins: 6 refit blocks in 4 shards (a local run's default is 1: split it explicitly)
    fanned = {**SLICE, "backtest_years": 0.5, "refit_every": 4, "backtest_shards": 4}
    arguments = training_arguments(ws, LOOSE_GATE, **fanned, source=str(csv), method="persistence")

    store = ModelStore(ws.models)
    first = run_pipeline_locally(pipeline, arguments, ws, quiet=True)
    assert first.cached == {}
    approved = read_training_outcome(first)
    assert approved["decision"]["approved"] is True
    assert approved["pushed"] and approved["version"] == 1
    assert store.current("dengue-forecast") == 1
    assert approved["card"]["n_regions"] == 3
    assert len(first.iterations("backtest-shard", "forecasts")) == 4
    single = json.loads(
        json.dumps(backtest_candidate(panel, "persistence", 0, 0.5, 4, source=str(csv)))
    )
    scores = read_training_outcome(first)["scores"]
    assert {**scores, "seconds": None} == {**single, "seconds": None}
    again = run_pipeline_locally(pipeline, arguments, ws, quiet=True)
    pure = {"ingest", "features", "train", "backtest-plan", "backtest-shard", "backtest-merge"}
    assert set(again.cached) == pure
    assert again.cached["ingest"] == first.root / "ingest"  # the outputs it reuses
    assert read_training_outcome(again)["card"] == read_training_outcome(first)["card"]
    assert again.ran("evaluate") and again.parameter("register") == 2  # gate and registry ran

    champion = store.current("dengue-forecast")

    panel[panel["week_start"] < panel["week_start"].max()].to_csv(csv, index=False)
    useless = {**arguments, "method": "constant"}
    changed = run_pipeline_locally(pipeline, useless, ws, quiet=True)
    assert changed.cached == {}
    refused = read_training_outcome(changed)
    assert refused["card"]["n_weeks"] == read_training_outcome(first)["card"]["n_weeks"] - 1
    assert refused["decision"]["approved"] is False
    failed = [c for c in refused["decision"]["checks"] if not c["passed"]]
    assert failed and failed[0]["name"] == "relative_wis"
    assert not refused["pushed"] and refused["version"] == 3
    registry = Registry(ws.tracking_uri)
    assert registry.champion("dengue-forecast").version == champion
    assert "challenger" in registry.version("dengue-forecast", 3).aliases
    assert store.current("dengue-forecast") == champion  # the served version did not move
    assert 3 not in store.versions("dengue-forecast")
    assert not list(ws.root.glob("kfp-*")), "temporary kfp folders must be cleaned up"
