"""The risk training pipeline: ingest + validate → EDA → split → train (select + calibrate) →
evaluate + gate → register → [approved] push.

``create_risk_pipeline(image)`` takes every environment value as an argument, so the same
definition compiles for a cluster and runs under ``kfp.local``. Register → [approved] push is
the forecast pipeline's block (:func:`vigia.pipelines.release.register_and_push`).
"""

# (no `from __future__ import annotations`: KFP reads the annotations at runtime)

from typing import Any

from kfp import dsl

from vigia.components import make_component
from vigia.components.risk_eda import risk_eda
from vigia.components.risk_evaluate import risk_evaluate
from vigia.components.risk_ingest import risk_ingest
from vigia.components.risk_register import risk_register
from vigia.components.risk_split import risk_split
from vigia.components.risk_train import risk_train
from vigia.pipelines.cluster import step
from vigia.pipelines.release import register_and_push

PIPELINE_NAME = "vigia-risk-training"


def create_risk_pipeline(image: str) -> Any:
    """The risk pipeline with every component running in ``image``."""
    ingest_op = make_component(risk_ingest, image)
    eda_op = make_component(risk_eda, image)
    split_op = make_component(risk_split, image)
    train_op = make_component(risk_train, image)
    evaluate_op = make_component(risk_evaluate, image)
    register_op = make_component(risk_register, image)

    @dsl.pipeline(
        name=PIPELINE_NAME,
        description="Patient risk scores: validate, EDA, split, select + calibrate, gate, "
        "register, push.",
    )
    def risk_pipeline(
        tracking_uri: str,
        store_root: str,
        gate_config: str,
        registered_name: str,
        source: str = "readmission",
        task_json: str = "",
        artifact_root: str = "",
        sample_rows: int = 0,
        families: str = "",
        n_iter: int = 4,
        folds: int = 3,
        calibration: str = "auto",
        seed: int = 0,
        jobs: int = 2,
        serving_namespace: str = "",
        prometheus_url: str = "",
        canary_percent: int = 100,
    ) -> None:
        ingested = ingest_op(source=source, task_json=task_json, sample_rows=sample_rows, seed=seed)
        # not cached: its key would hold the source's path, not what the file holds (the
        # forecast pipeline's fingerprint step is not wired here yet); the steps after it then
        # miss the cache too (their input is a new artifact each run)
        step(ingested, "ingest + validate", cache=False)
        eda = eda_op(
            table=ingested.outputs["table"],
            task_spec=ingested.outputs["task_spec"],
            validation=ingested.outputs["validation"],
        )
        step(eda, "EDA report")
        split = split_op(
            table=ingested.outputs["table"], task_spec=ingested.outputs["task_spec"], seed=seed
        )
        step(split, "split (groups, time)")
        trained = train_op(
            dataset_train=split.outputs["dataset_train"],
            task_spec=ingested.outputs["task_spec"],
            data_hash=ingested.outputs["Output"],
            families=families,
            n_iter=n_iter,
            folds=folds,
            calibration=calibration,
            seed=seed,
            jobs=jobs,
        )
        step(trained, "train (select + calibrate)")
        evaluated = evaluate_op(
            model=trained.outputs["model"],
            dataset_train=split.outputs["dataset_train"],
            dataset_test=split.outputs["dataset_test"],
            task_spec=ingested.outputs["task_spec"],
            gate_config=gate_config,
            tracking_uri=tracking_uri,
            registered_name=registered_name,
            seed=seed,
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
            eda=eda.outputs["report"],
            card=ingested.outputs["card"],
            selection=trained.outputs["selection"],
            reference=trained.outputs["reference"],
            artifact_root=artifact_root,
            data_hash=ingested.outputs["Output"],
        ):
            pass  # nothing runs after a risk model's release

    return risk_pipeline


def risk_arguments(workspace: Any, gate_config_text: str, **overrides: Any) -> dict[str, Any]:
    """Pipeline arguments for a run against ``workspace`` (a :class:`vigia.workspace.Workspace`)."""
    arguments: dict[str, Any] = {
        "tracking_uri": workspace.tracking_uri,
        "store_root": str(workspace.models),
        "artifact_root": str(workspace.artifacts),
        "gate_config": gate_config_text,
    }
    arguments.update({k: v for k, v in overrides.items() if v is not None})
    return arguments


def read_risk_outcome(run: Any) -> dict[str, Any]:
    """What a finished local risk run produced: file paths, metrics, decision, version, push."""
    import json

    metrics = json.loads(run.output("risk-evaluate", "scores").read_text(encoding="utf-8"))
    decision = json.loads(run.output("risk-evaluate", "decision").read_text(encoding="utf-8"))
    return {
        "run": str(run.root),
        "seconds": run.seconds,
        "metrics": metrics,
        "decision": decision,
        "files": {
            "metrics": run.output("risk-evaluate", "scores"),
            "decision": run.output("risk-evaluate", "decision"),
            "eda": run.output("risk-eda", "report"),
            "eda_summary": run.output("risk-eda", "summary"),
            "selection": run.output("risk-train", "selection"),
            "split": run.output("risk-split", "info"),
            "card": run.output("risk-ingest", "card"),
            "validation": run.output("risk-ingest", "validation"),
            "model": run.output("risk-train", "model"),
        },
        "leakage_suspects": run.parameter("risk-eda"),
        "version": run.parameter("risk-register"),
        "pushed": run.ran("push"),
        "pushed_to": run.parameter("push") if run.ran("push") else None,
    }
