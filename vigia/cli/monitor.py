"""``vigia monitor run``: one monitoring check of the live model now.

Reads the payload log and the actual counts, tests drift against the live version's training
snapshot, scores past forecasts, decides nothing / warn / retrain, writes the reports
(``reports/monitoring/``, the Evidently project, MLflow ``monitoring``, Prometheus textfile) and,
on a retrain decision, starts the training pipeline (the approval gate still decides).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from vigia.cli.output import print_json
from vigia.cli.pipeline import add_training_options
from vigia.progress import Step, say

MODEL = "dengue-forecast"


def register(commands: Any) -> None:
    parser = commands.add_parser("monitor", help="monitoring checks: drift, performance, retrain")
    sub = parser.add_subparsers(dest="monitor_command", metavar="ACTION", required=True)
    run = sub.add_parser("run", help="run one monitoring check now (and retrain if it decides so)")
    run.add_argument(
        "--model",
        default=MODEL,
        help=f"registered model (default {MODEL}); a risk classifier (e.g. dengue-severity, "
        "readmission-risk) gets the risk check: drift, CBPE estimate, realized metrics",
    )
    run.add_argument(
        "--as-of",
        default=None,
        help="week to check (default: newest logged week); for a risk model: the end of the "
        "window (default: just after the newest logged request)",
    )
    run.add_argument("--config", type=Path, default=None, help="monitoring thresholds (TOML)")
    run.add_argument(
        "--labels",
        type=Path,
        default=None,
        metavar="CSV",
        help="risk models: outcomes that have arrived (columns request_id, row, label)",
    )
    run.add_argument(
        "--since",
        default=None,
        help="risk models: start of the window (default: --days before its end)",
    )
    add_training_options(run)
    run.add_argument(
        "--no-retrain",
        action="store_true",
        help="report a retrain decision but do not start the training pipeline",
    )
    run.add_argument(
        "--kfp",
        action="store_true",
        help="run the KFP monitoring pipeline under kfp.local instead of in this process",
    )
    run.add_argument(
        "--pushgateway", default="", metavar="URL", help="also push the metrics to a Pushgateway"
    )
    run.add_argument(
        "--serving-url",
        default="",
        metavar="URL",
        help="a running predictor (e.g. http://127.0.0.1:8080): check the version it serves "
        "rather than the store's pointer, and say when they disagree",
    )
    run.add_argument("--json", action="store_true", help="print the check's status as JSON")
    run.set_defaults(handler=_run)


def training_for_retrain(
    args: argparse.Namespace, ws: Any, model: str, end: str = ""
) -> dict[str, Any]:
    """Training pipeline arguments for a retraining of ``model`` started by a check."""
    from vigia.cli.pipeline import training_spec
    from vigia.workflows.training import training_pipeline_arguments

    spec = training_spec(args, registered_name=model, end=end or None)
    return training_pipeline_arguments(ws, spec, args.gates)


def print_status(status: dict[str, Any]) -> None:
    def number(key: str, digits: int = 3) -> str:
        value = status.get(key)
        return "not assessed" if value is None else f"{value:.{digits}f}"

    say(
        f"{status['model']} version {status['live_version']}, week {status['as_of']}: "
        f"decision {status['decision'].upper()}"
    )
    for reason in status["reasons"]:
        say(f"  {reason}")
    say(
        f"  drift share {number('drift_share', 2)} · prediction drift share "
        f"{number('prediction_drift_share', 2)} · rolling relative WIS "
        f"{number('rolling_relative_wis')} · 90% coverage {number('coverage_90', 2)} "
        f"({status['scored']} scored) · {status['rows']} logged rows, "
        f"{status['skipped_lines']} corrupt lines skipped"
    )
    say_live_version(status)


def say_live_version(status: dict[str, Any]) -> None:
    """Where the checked version came from, and a pointer that disagrees with the server."""
    source, pointer = status.get("live_version_source"), status.get("pointer_version")
    if source and source != "the store's pointer":
        say(f"  version {status['live_version']}: {source}")
    if pointer is not None and pointer != status["live_version"]:
        say(
            f"  note: the store's pointer says version {pointer}, the server serves "
            f"{status['live_version']}: they disagree (a server not yet swapped, a canary or a "
            "cluster rollback the next pipeline run reconciles)"
        )


def _run(args: argparse.Namespace) -> int:
    from vigia.cli.common import workspace
    from vigia.monitor.config import monitor_config_text, parse_monitor_config
    from vigia.training import passive_openmp

    passive_openmp()
    if _is_classifier(args):
        return _run_risk(args)
    config_text = monitor_config_text(args.config)
    config = parse_monitor_config(config_text, str(args.config or "monitor.toml"))
    ws = workspace(args)
    if args.kfp:
        return _run_pipeline(args, ws, config_text)

    from vigia.cli.panel_options import panel_options
    from vigia.monitor.collect import ActualsSource
    from vigia.monitor.paths import MonitorPaths
    from vigia.monitor.runner import run_check

    source = args.source if args.source == "peru" else str(Path(args.source).resolve())
    actuals = ActualsSource(
        source,
        args.region_col or "region",
        args.date_col or "week_start",
        args.target_col or "cases",
        level=args.level or "department",
        panel_options=panel_options(args).to_json(),
    )
    paths = replace(MonitorPaths.from_workspace(ws), serving_url=args.serving_url)
    with Step(f"monitoring check of {args.model}"):
        result, published = run_check(
            paths,
            args.model,
            config,
            actuals,
            as_of=args.as_of,
            artifact_root=ws.artifacts,
            pushgateway=args.pushgateway,
        )
    status = result.status()
    if args.json:
        print_json({**status, "report": str(published.files["html"])})
    else:
        print_status(status)
        say(f"report: {published.files['html']}")
        if "weekly" in published.files:
            say(f"weekly performance report: {published.files['weekly']}")
        say(f"status: {paths.status} · Evidently UI: vigia ui")
    if result.decision.action == "retrain" and not args.no_retrain:
        from vigia.workflows.retrain import start_retraining

        with Step("retraining: training pipeline (the approval gate decides)"):
            outcome = start_retraining(
                model=result.model,
                as_of=f"{result.as_of:%Y-%m-%d}",
                training=training_for_retrain(args, ws, args.model),
                reports_root=str(paths.reports_root),
                workspace_root=str(ws.root),
            )
        say(
            f"retrained: version {outcome['version']} "
            f"{'approved and pushed' if outcome['pushed'] else 'NOT approved: not pushed'}"
        )
        for reason in outcome["reasons"]:
            say(f"  {reason}")
    return 0


def _is_classifier(args: argparse.Namespace) -> bool:
    """Whether ``--model`` names a live risk classifier in the workspace's store."""
    from vigia.cli.common import workspace
    from vigia.models.bundle import read_manifest
    from vigia.registry.store import ModelStore

    store = ModelStore(workspace(args).models)
    if store.current(args.model) is None:
        return False
    return read_manifest(store.current_dir(args.model)).get("kind") == "classifier"


def print_risk_status(status: dict[str, Any]) -> None:
    def number(key: str, digits: int = 3) -> str:
        value = status.get(key)
        return "not assessed" if value is None else f"{value:.{digits}f}"

    say(
        f"{status['model']} version {status['live_version']}, requests {status['window_start']} "
        f"→ {status['as_of']}: decision {status['decision'].upper()}"
    )
    for reason in status["reasons"]:
        say(f"  {reason}")
    say(
        f"  {status['rows']} logged rows · drift share {number('drift_share', 2)} · estimated "
        f"ROC-AUC {number('estimated_roc_auc')} (test {number('test_roc_auc')}) · realized "
        f"ROC-AUC {number('realized_roc_auc')} on {status['labelled']} labelled rows · expected "
        f"positive rate {number('expected_positive_rate')}"
    )


def _run_risk(args: argparse.Namespace) -> int:
    from vigia.cli.common import workspace
    from vigia.monitor.paths import MonitorPaths
    from vigia.monitor.risk_config import load_risk_monitor_config
    from vigia.monitor.risk_runner import run_risk_check
    from vigia.workflows.retrain import start_risk_retraining

    config = load_risk_monitor_config(args.config)
    if args.kfp:
        say("note: --kfp is the forecaster's monitoring pipeline; a risk check runs in-process")
    ws = workspace(args)
    paths = replace(MonitorPaths.from_workspace(ws), serving_url=args.serving_url)

    def retraining(model: dict[str, Any], as_of: Any) -> dict[str, Any]:
        return start_risk_retraining(model, as_of, ws.root, paths.reports_root)

    with Step(f"risk monitoring check of {args.model}"):
        outcome = run_risk_check(
            paths,
            args.model,
            config,
            start=args.since,
            end=args.as_of,
            labels=args.labels,
            pushgateway=args.pushgateway,
            retrain=None if args.no_retrain else retraining,
        )
    status = {**outcome.check.status(), "report": str(outcome.published.files["html"])}
    if args.json:
        print_json({**status, "retraining": outcome.retraining})
        return 0
    print_risk_status(status)
    say(f"report: {status['report']}")
    say(f"status: {outcome.published.files['status']} · metrics: "
        f"{outcome.published.files['metrics']} · Evidently UI: vigia ui")  # fmt: skip
    if outcome.retraining:
        retrained = outcome.retraining
        if not retrained.get("started"):
            say(f"retraining not started: {retrained['reason']}")
        else:
            say(
                f"retrained: version {retrained['version']} "
                f"{'approved and pushed' if retrained['pushed'] else 'NOT approved: not pushed'}"
            )
    return 0


def _run_pipeline(args: argparse.Namespace, ws: Any, config_text: str) -> int:
    from vigia.cli.pipeline import training_spec
    from vigia.evaluate.gates import gate_config_text
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.monitoring import create_monitoring_pipeline, monitoring_arguments

    training = training_spec(args).overrides()
    overrides = {
        "model_name": args.model,
        "as_of": args.as_of,
        "pushgateway_url": args.pushgateway,
        "source": training["source"],
        "region_col": training["region_col"],
        "date_col": training["date_col"],
        "target_col": training["target_col"],
        "level": training["level"],
        "regions": training["regions"],
        "panel_options": training["panel_options"],
        "method": training["method"],
        "backtest_years": training["backtest_years"],
        "refit_every": training["refit_every"],
    }
    if args.no_retrain:
        say("note: --no-retrain has no effect with --kfp: the pipeline's retrain step decides")
    say("▶ monitoring pipeline (kfp.local)")
    run = run_pipeline_locally(
        create_monitoring_pipeline(image_ref("project", "local")),
        monitoring_arguments(ws, gate_config_text(args.gates), config_text, **overrides),
        ws,
    )
    status = json.loads((ws.reports / "monitoring" / "status.json").read_text(encoding="utf-8"))
    if args.json:
        print_json(status)
    else:
        print_status(status)
        say(f"decision artifact: {run.output('monitor-decide', 'decision')}")
        say(f"run folder: {run.root} ({run.seconds:.1f}s)")
    return 0
