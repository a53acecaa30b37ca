"""``vigia pipeline``: run pipelines locally, compile them for a cluster, submit or schedule
them on Kubeflow Pipelines."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vigia.cli.common import refuse_unless_approved, unmade_workspace
from vigia.cli.output import print_json
from vigia.cli.panel_options import add_level_option, add_panel_options, panel_options
from vigia.progress import say

PIPELINES = ("training",)
DEFAULT_COMPILED = Path("pipelines/compiled")


def register(commands: Any) -> None:
    parser = commands.add_parser("pipeline", help="run, compile, submit or schedule pipelines")
    sub = parser.add_subparsers(dest="pipeline_command", metavar="ACTION", required=True)

    run = sub.add_parser("run", help="run a pipeline on this machine with kfp.local")
    run.add_argument("name", choices=PIPELINES)
    add_training_options(run)
    run.add_argument(
        "--runner",
        choices=("subprocess", "container"),
        default="subprocess",
        help="subprocess: this Python environment (default); container: every step in the "
        "project image through podman",
    )
    run.add_argument("--json", action="store_true", help="print the outcome as JSON")
    run.set_defaults(handler=_run)

    comp = sub.add_parser("compile", help="compile pipelines to YAML for a Kubeflow cluster")
    comp.add_argument("--out", type=Path, default=DEFAULT_COMPILED, help="output folder")
    comp.set_defaults(handler=_compile)

    submit = sub.add_parser("submit", help="submit a pipeline run to a KFP API server")
    submit.add_argument("name", help="pipeline to run (e.g. training, monitoring)")
    add_cluster_options(submit)
    submit.set_defaults(handler=_submit)

    schedule = sub.add_parser(
        "schedule", help="create a recurring run on a KFP API server (6-field cron)"
    )
    schedule.add_argument(
        "name",
        help="pipeline to schedule; defaults: monitoring weekly (Mon 06:00), training monthly",
    )
    schedule.add_argument(
        "--cron",
        default=None,
        help="second minute hour day-of-month month day-of-week, e.g. '0 0 6 * * 1'",
    )
    add_cluster_options(schedule)
    schedule.set_defaults(handler=_schedule)


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
    """Options of ``submit`` and ``schedule``: the KFP API, its token, the parameters."""
    parser.add_argument("--host", required=True, help="KFP API URL, e.g. https://kfp.example.org")
    parser.add_argument(
        "--token-env",
        default="KFP_TOKEN",
        help="environment variable holding a bearer token (default KFP_TOKEN)",
    )
    parser.add_argument("--experiment", default="vigia")
    parser.add_argument("--gates", type=Path, default=None, help="gate thresholds (TOML)")
    parser.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="pipeline parameter (repeatable); the MLflow address, mount paths and gate "
        "config default to the cluster's (manifests/)",
    )


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """Options of the training pipeline shared by ``pipeline run`` and ``demo``."""
    parser.add_argument(
        "--source",
        default="peru",
        help="'peru' (default: MINSA line list), a weekly panel CSV (region, week_start, cases) "
        "or its gs:// URI (a cluster run reads it from object storage)",
    )
    parser.add_argument("--region-col", default=None, help="region column of a CSV source")
    parser.add_argument("--date-col", default=None, help="week start column of a CSV source")
    parser.add_argument("--target-col", default=None, help="case count column of a CSV source")
    add_level_option(parser)
    add_panel_options(parser)
    parser.add_argument("--regions", default=None, help="comma-separated subset of regions")
    parser.add_argument("--method", default=None, help="forecasting method (default hybrid)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--gates", type=Path, default=None, help="gate thresholds (TOML)")
    parser.add_argument("--backtest-years", type=float, default=None)
    parser.add_argument("--refit-every", type=int, default=None, help="weeks between refits")
    parser.add_argument(
        "--backtest-shards",
        type=int,
        default=None,
        help="split the backtest into at most this many parallel shards (default: 1 in a local "
        "run, 4 on a cluster)",
    )
    parser.add_argument(
        "--replace-scope",
        action="store_true",
        default=None,
        help="let the gate approve a model whose regions, horizons or data source differ from "
        "the champion's (it replaces what the served model answers for)",
    )


def training_spec(args: argparse.Namespace, **changes: Any) -> Any:
    """The :class:`vigia.workflows.training.TrainingSpec` the training options ask for."""
    from vigia.workflows.training import TrainingSpec

    return TrainingSpec(
        source=args.source,
        region_col=args.region_col,
        date_col=args.date_col,
        target_col=args.target_col,
        level=args.level,
        regions=args.regions,
        method=args.method,
        seed=args.seed,
        backtest_years=args.backtest_years,
        refit_every=args.refit_every,
        backtest_shards=args.backtest_shards,
        panel_options=panel_options(args),
        replace_scope=args.replace_scope,
        **changes,
    )


def run_training(args: argparse.Namespace, quiet: bool = False, **changes: Any) -> dict[str, Any]:
    """Train as the options say (:func:`vigia.workflows.training.run_training`)."""
    from vigia.workflows.training import run_training as train

    spec = training_spec(args, **changes)
    runner = getattr(args, "runner", "subprocess")
    return train(unmade_workspace(args), spec, args.gates, runner=runner, quiet=quiet)


def print_outcome(outcome: dict[str, Any]) -> None:
    from vigia.training import format_scores_table

    decision = outcome["decision"]
    say("")
    say(format_scores_table(outcome["scores"]))
    say("")
    say(f"gate: {'APPROVED' if decision['approved'] else 'NOT APPROVED'}")
    for reason in decision["reasons"]:
        say(f"  {reason}")
    alias = "challenger" + (", champion" if outcome["pushed"] else "")
    say(f"registered: {decision['model']} → version {outcome['version']} ({alias})")
    say(f"pushed: {outcome['pushed_to'] or 'no (not approved)'}")


def _run(args: argparse.Namespace) -> int:
    say(f"▶ training pipeline ({args.runner} runner)")
    outcome = run_training(args)
    if args.json:
        print_json(outcome)
    else:
        print_outcome(outcome)
        say(f"run folder: {outcome['run']} ({outcome['seconds']:.1f}s)")
    refuse_unless_approved(outcome)
    return 0


def _compile(args: argparse.Namespace) -> int:
    from vigia.pipelines.compile import compile_all

    for path in compile_all(args.out):
        say(f"wrote {path}")
    return 0


def cluster_parameters(args: argparse.Namespace) -> tuple[dict[str, str], dict[str, str]]:
    """(``--param`` values, defaults) for ``submit`` and ``schedule``."""
    from vigia.errors import VigiaError
    from vigia.evaluate.gates import gate_config_text

    params = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise VigiaError(f"--param {item!r}: expected KEY=VALUE")
        params[key] = value
    return params, {"gate_config": gate_config_text(args.gates)}


def _submit(args: argparse.Namespace) -> int:
    from vigia.pipelines.submit import submit_run

    params, defaults = cluster_parameters(args)
    run_id = submit_run(
        args.name, args.host, params, args.experiment, args.token_env, defaults=defaults
    )
    say(f"submitted {args.name} run {run_id} to {args.host}")
    return 0


def _schedule(args: argparse.Namespace) -> int:
    from vigia.pipelines.submit import schedule_run

    params, defaults = cluster_parameters(args)
    job_id, cron = schedule_run(
        args.name, args.host, args.cron, params, args.experiment, args.token_env, defaults
    )
    say(f"scheduled {args.name} ({cron}) as recurring run {job_id} on {args.host}")
    return 0
