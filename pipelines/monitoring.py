"""The monitoring pipeline: collect → (data + prediction drift, performance) → decide →
[retrain] start the training pipeline.

``create_monitoring_pipeline(image)`` takes every environment value as an argument, so the same
definition runs under ``kfp.local`` and compiles for a cluster (weekly recurring run:
``vigia pipeline schedule monitoring``). The reports are HTML/Markdown output artifacts, shown by
the KFP UI; with ``reports_root`` they also go to the workspace and its Evidently project.
"""

# (no `from __future__ import annotations`: KFP reads the annotations at runtime)

from typing import Any

from kfp import dsl

from vigia.components import make_component
from vigia.components.monitor_collect import monitor_collect
from vigia.components.monitor_decide import monitor_decide
from vigia.components.monitor_drift import monitor_drift
from vigia.components.monitor_performance import monitor_performance
from vigia.components.monitor_retrain import monitor_retrain
from vigia.pipelines.cluster import mount_model_store, mount_payloads, step

PIPELINE_NAME = "vigia-forecast-monitoring"


def create_monitoring_pipeline(image: str) -> Any:
    """The monitoring pipeline with every component running in ``image``."""
    collect_op = make_component(monitor_collect, image)
    drift_op = make_component(monitor_drift, image)
    performance_op = make_component(monitor_performance, image)
    decide_op = make_component(monitor_decide, image)
    retrain_op = make_component(monitor_retrain, image)

    @dsl.pipeline(
        name=PIPELINE_NAME,
        description="Weekly monitoring of the live forecaster: drift, performance of past "
        "forecasts, decision (nothing / warn / retrain) and retraining through the gate.",
    )
    def monitoring_pipeline(
        tracking_uri: str,
        store_root: str,
        payload_root: str,
        gate_config: str,
        monitor_config: str = "",
        model_name: str = "dengue-forecast",
        as_of: str = "",
        artifact_root: str = "",
        reports_root: str = "",
        workspace_root: str = "",
        pushgateway_url: str = "",
        kfp_host: str = "",
        kfp_token_env: str = "KFP_TOKEN",
        source: str = "peru",
        region_col: str = "region",
        date_col: str = "week_start",
        target_col: str = "cases",
        level: str = "department",
        regions: str = "",
        panel_options: str = "",
        method: str = "xgboost",
        backtest_years: float = 2.0,
        refit_every: int = 13,
        retrain_end: str = "",
    ) -> None:
        collected = collect_op(
            store_root=store_root,
            tracking_uri=tracking_uri,
            payload_root=payload_root,
            model_name=model_name,
            as_of=as_of,
            monitor_config=monitor_config,
        )
        # (not cached: the payload log grows between runs)
        step(collected, "collect window + reference", cache=False)
        mount_model_store(collected)
        mount_payloads(collected)
        window = collected.outputs["check_data"]
        drifted = drift_op(check_data=window, monitor_config=monitor_config)
        step(drifted, "data + prediction drift (Evidently)")
        scored = performance_op(
            check_data=window,
            monitor_config=monitor_config,
            source=source,
            region_col=region_col,
            date_col=date_col,
            target_col=target_col,
            level=level,
            panel_options=panel_options,
        )
        # (not cached: actual counts arrive between runs)
        step(scored, "performance of past forecasts", cache=False)
        decided = decide_op(
            check_data=window,
            drift=drifted.outputs["drift"],
            performance=scored.outputs["performance"],
            monitor_config=monitor_config,
            tracking_uri=tracking_uri,
            artifact_root=artifact_root,
            reports_root=reports_root,
            pushgateway_url=pushgateway_url,
        )
        step(decided, "decide + publish", cache=False)
        with dsl.If(decided.outputs["Output"] == True, name="retrain"):  # noqa: E712
            retrained = retrain_op(
                decision=decided.outputs["decision"],
                tracking_uri=tracking_uri,
                store_root=store_root,
                artifact_root=artifact_root,
                gate_config=gate_config,
                reports_root=reports_root,
                workspace_root=workspace_root,
                kfp_host=kfp_host,
                kfp_token_env=kfp_token_env,
                source=source,
                region_col=region_col,
                date_col=date_col,
                target_col=target_col,
                level=level,
                regions=regions,
                panel_options=panel_options,
                method=method,
                model_name=model_name,
                backtest_years=backtest_years,
                refit_every=refit_every,
                end=retrain_end,
            )
            step(retrained, "start training pipeline", cache=False)

    return monitoring_pipeline


def monitoring_arguments(
    workspace: Any, gate_config_text: str, monitor_config_text: str, **overrides: Any
) -> dict[str, Any]:
    """Pipeline arguments for a local run against ``workspace``
    (a :class:`vigia.workspace.Workspace`)."""
    arguments: dict[str, Any] = {
        "tracking_uri": workspace.tracking_uri,
        "store_root": str(workspace.models),
        "payload_root": str(workspace.payload_logs),
        "artifact_root": str(workspace.artifacts),
        "reports_root": str(workspace.reports / "monitoring"),
        "workspace_root": str(workspace.root),
        "gate_config": gate_config_text,
        "monitor_config": monitor_config_text,
    }
    arguments.update({k: v for k, v in overrides.items() if v is not None})
    return arguments
