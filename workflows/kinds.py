"""The model kinds Vigía trains, serves and monitors, each described by the same template.

A kind is the ``"kind"`` its bundles write in ``vigia-model.json``. Every kind fills every role
below with a ``"module:name"`` (read by ``tests/unit/house/test_kinds.py``, which imports each
one); docs/architecture.md, "Adding a model kind", says what each role must do.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True)
class ModelKind:
    """Where each part of one model kind lives."""

    kind: str  # the manifest's "kind"
    steps: str  # the training steps as plain functions over files (domain)
    gate: str  # candidate + scores (+ champion's) → Decision; thresholds in gates.toml
    gate_section: str  # its [section] of vigia/configs/gates.toml
    bundle: str  # writes the bundle folder that is registered, pushed and served
    servable: str  # what a served model of this kind accepts and answers (vigia.servables)
    pyfunc: str  # the registered version as an MLflow pyfunc
    pipeline: str  # create_<...>_pipeline(image): ends with register_and_push
    train: str  # the workflow that runs the pipeline on this machine
    retrain: str  # what a monitoring check's retrain decision starts
    check: str  # one monitoring check: collect → measure → decide → publish

    def roles(self) -> dict[str, str]:
        return {f.name: getattr(self, f.name) for f in fields(self) if ":" in getattr(self, f.name)}


KINDS = (
    ModelKind(
        kind="forecaster",
        steps="vigia.training:train_forecaster",
        gate="vigia.evaluate.gates:forecast_gate",
        gate_section="forecast",
        bundle="vigia.models.bundle:write_forecast_bundle",
        servable="vigia.servables.forecaster:ForecastServable",
        pyfunc="vigia.registry.pyfunc:ForecastBundleModel",
        pipeline="vigia.pipelines.training:create_training_pipeline",
        train="vigia.workflows.training:run_training",
        retrain="vigia.workflows.retrain:start_retraining",
        check="vigia.monitor.runner:run_check",
    ),
    ModelKind(
        kind="classifier",
        steps="vigia.risk.workflow:train_step",
        gate="vigia.risk.gate:risk_gate",
        gate_section="risk",
        bundle="vigia.risk.bundle:write_classifier_bundle",
        servable="vigia.risk.servable:ClassifierServable",
        pyfunc="vigia.risk.pyfunc:ClassifierBundleModel",
        pipeline="vigia.pipelines.risk:create_risk_pipeline",
        train="vigia.workflows.risk_training:run_risk_training",
        retrain="vigia.workflows.retrain:start_risk_retraining",
        check="vigia.monitor.risk_runner:run_risk_check",
    ),
)
