"""The forecast training pipeline: fingerprint → ingest → features → train → backtest (plan →
ParallelFor shards → merge) → evaluate (gate) → register → [approved] push → dashboard.

``create_training_pipeline(image)`` takes every environment value as an argument (TFX style), so
the same definition compiles for a cluster and runs under ``kfp.local``.
"""

# (no `from __future__ import annotations`: KFP reads the annotations at runtime)

from typing import Any

from kfp import dsl

from vigia.components import make_component
from vigia.components.backtest_merge import backtest_merge
from vigia.components.backtest_plan import backtest_plan
from vigia.components.backtest_shard import backtest_shard
from vigia.components.dashboard import dashboard
from vigia.components.evaluate import evaluate
from vigia.components.features import features
from vigia.components.fingerprint import fingerprint
from vigia.components.ingest import ingest
from vigia.components.register import register
from vigia.components.train import train
from vigia.pipelines.cluster import mount_model_store, step
from vigia.pipelines.release import register_and_push

PIPELINE_NAME = "vigia-forecast-training"


def create_training_pipeline(image: str) -> Any:
    """The training pipeline with every component running in ``image``."""
    fingerprint_op = make_component(fingerprint, image)
    ingest_op = make_component(ingest, image)
    features_op = make_component(features, image)
    train_op = make_component(train, image)
    backtest_ops = make_backtest_ops(image)
    evaluate_op = make_component(evaluate, image)
    register_op = make_component(register, image)
    dashboard_op = make_component(dashboard, image)

    @dsl.pipeline(
        name=PIPELINE_NAME,
        description="Weekly dengue forecasts: train, backtest, gate, register, push.",
    )
    def training_pipeline(
        tracking_uri: str,
        store_root: str,
        gate_config: str,
        artifact_root: str = "",
        source: str = "peru",
        region_col: str = "region",
        date_col: str = "week_start",
        target_col: str = "cases",
        level: str = "department",
        regions: str = "",
        start: str = "",
        end: str = "",
        panel_options: str = "",
        method: str = "hybrid",
        seed: int = 0,
        registered_name: str = "dengue-forecast",
        backtest_years: float = 2.0,
        refit_every: int = 13,
        backtest_shards: int = 4,
        replace_scope: bool = False,
        serving_namespace: str = "",
        prometheus_url: str = "",
        canary_percent: int = 100,
    ) -> None:
        held = fingerprint_op(source=source)
        step(held, "fingerprint source", cache=False)  # what is at `source` now
        ingested = ingest_op(
            source=source,
            source_fingerprint=held.output,
            region_col=region_col,
            date_col=date_col,
            target_col=target_col,
            level=level,
            regions=regions,
            start=start,
            end=end,
            panel_options=panel_options,
        )
        step(ingested, "ingest + validate")
        feats = features_op(panel=ingested.outputs["panel"])
        step(feats, "features")
        trained = train_op(
            panel=ingested.outputs["panel"],
            method=method,
            seed=seed,
            data_hash=ingested.outputs["Output"],
        )
        step(trained, "train")
        backtested = fan_out_backtest(
            backtest_ops,
            ingested.outputs["panel"],
            method=method,
            seed=seed,
            backtest_years=backtest_years,
            refit_every=refit_every,
            backtest_shards=backtest_shards,
            source=source,
        )
        evaluated = evaluate_op(
            backtest=backtested.outputs["scores"],
            gate_config=gate_config,
            tracking_uri=tracking_uri,
            registered_name=registered_name,
            replace_scope=replace_scope,
        )
        # (not cached: depends on the registry's current champion)
        step(evaluated, "evaluate + gate", cache=False)
        with register_and_push(
            image,
            register_op,
            approved=evaluated.outputs["Output"],
            model=trained.outputs["model"],
            decision=evaluated.outputs["decision"],
            registered_name=registered_name,
            store_root=store_root,
            tracking_uri=tracking_uri,
            serving_namespace=serving_namespace,
            prometheus_url=prometheus_url,
            canary_percent=canary_percent,
            scores=evaluated.outputs["scores"],
            catalog=feats.outputs["catalog"],
            card=ingested.outputs["card"],
            reference=feats.outputs["table"],
            artifact_root=artifact_root,
            method=method,
            seed=seed,
            data_hash=ingested.outputs["Output"],
        ) as pushed:
            board = dashboard_op(
                store_root=store_root,
                registered_name=registered_name,
                resource="test_kits",
                budget=0.0,  # the page shows the latest `vigia allocate` plan
                floor_per_100k=0.0,
                weeks=4,
            ).after(pushed)
            step(board, "officials' dashboard", cache=False)
            mount_model_store(board)

    return training_pipeline


def make_backtest_ops(image: str) -> tuple[Any, Any, Any]:
    """The backtest's plan, shard and merge components in ``image``."""
    return tuple(make_component(f, image) for f in (backtest_plan, backtest_shard, backtest_merge))


def fan_out_backtest(ops: tuple[Any, Any, Any], panel: Any, **settings: Any) -> Any:
    """The candidate's backtest as a fan-out (inside a pipeline function): a plan of at most
    ``backtest_shards`` shards of whole fit groups (refit blocks where every method refits), a
    ``dsl.ParallelFor`` with one shard task each (one pod each on a cluster, pure and cached), a
    merge that scores them exactly as one task would (vigia.evaluate.backtest). Returns the
    merge task (output ``scores``). ``settings``: method, seed, backtest_years, refit_every,
    backtest_shards, source."""
    plan_op, shard_op, merge_op = ops
    source = settings.pop("source")
    planned = step(plan_op(panel=panel, **settings), "backtest plan")
    with dsl.ParallelFor(planned.output) as shard:
        part = step(shard_op(panel=panel, shard=shard, **settings), "backtest shard")
    settings.pop("backtest_shards")
    shards = dsl.Collected(part.outputs["forecasts"])
    return step(merge_op(panel=panel, shards=shards, source=source, **settings), "backtest merge")


# A local run backtests in one shard unless told otherwise: kfp.local runs at most two loop
# tasks at a time and each extra shard pays ~5 s of start-up (benchmarks/backtest_fanout), so
# on one machine splitting costs CPU and gains no time. The compiled default (4) is a cluster's.
LOCAL_BACKTEST_SHARDS = 1


def training_arguments(workspace: Any, gate_config_text: str, **overrides: Any) -> dict[str, Any]:
    """Pipeline arguments for a local run against ``workspace`` (a
    :class:`vigia.workspace.Workspace`)."""
    arguments: dict[str, Any] = {
        "tracking_uri": workspace.tracking_uri,
        "store_root": str(workspace.models),
        "artifact_root": str(workspace.artifacts),
        "gate_config": gate_config_text,
        "backtest_shards": LOCAL_BACKTEST_SHARDS,
    }
    arguments.update({k: v for k, v in overrides.items() if v is not None})
    return arguments


def read_training_outcome(run: Any) -> dict[str, Any]:
    """What a finished local training run decided: scores, gate decision, version, pushed."""
    import json

    scores = json.loads(run.output("evaluate", "scores").read_text(encoding="utf-8"))
    decision = json.loads(run.output("evaluate", "decision").read_text(encoding="utf-8"))
    card = json.loads(run.output("ingest", "card_json").read_text(encoding="utf-8"))
    return {
        "run": str(run.root),
        "seconds": run.seconds,
        "card": card,
        "scores": scores,
        "decision": decision,
        "version": run.parameter("register"),
        "pushed": run.ran("push"),
        "pushed_to": run.parameter("push") if run.ran("push") else None,
    }
