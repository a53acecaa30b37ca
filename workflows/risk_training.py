"""Train a risk classifier: the risk pipeline (ingest + validate → EDA → split → train → evaluate
+ gate → register → [approved] push) on this machine; what ``vigia risk train``, risk retraining
and the risk replay run."""

from __future__ import annotations

from typing import Any, Literal

from vigia.workspace import Workspace


def run_risk_training(
    workspace: Workspace,
    gate_config: str,
    runner: Literal["subprocess", "container"] = "subprocess",
    quiet: bool = False,
    **parameters: Any,
) -> dict[str, Any]:
    """Run the risk pipeline under ``kfp.local`` in ``workspace`` with the gate TOML text
    ``gate_config`` and the pipeline ``parameters`` (``registered_name``, ``source``, …); its
    outcome (:func:`vigia.pipelines.risk.read_risk_outcome`)."""
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.risk import create_risk_pipeline, read_risk_outcome, risk_arguments

    run = run_pipeline_locally(
        create_risk_pipeline(image_ref("project", "local")),
        risk_arguments(workspace, gate_config, **parameters),
        workspace,
        runner=runner,
        quiet=quiet,
    )
    return read_risk_outcome(run)
