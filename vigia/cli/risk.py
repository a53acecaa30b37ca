"""``vigia risk``: train patient risk classifiers with the risk pipeline (kfp.local).

    vigia risk train --dataset readmission --out runs/readmission
    vigia risk train --data visits.csv --target outcome --positive yes --group-col patient_id \
        --out runs/visits
    vigia risk datasets
"""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path
from typing import Any

from vigia.cli.common import refuse_unless_approved, workspace
from vigia.cli.output import print_json
from vigia.progress import Step, say

OUTPUT_FILES = {
    "metrics": "metrics.json",
    "decision": "decision.json",
    "eda": "eda.html",
    "eda_summary": "eda.json",
    "selection": "selection.json",
    "split": "split.json",
    "card": "data-card.md",
    "validation": "validation.json",
}


def register(commands: Any) -> None:
    parser = commands.add_parser("risk", help="patient risk classifiers (train, datasets)")
    sub = parser.add_subparsers(dest="risk_command", metavar="ACTION", required=True)
    train = sub.add_parser(
        "train",
        help="validate, EDA, split, select + calibrate, gate, register and push a classifier; "
        "writes DIR/metrics.json",
    )
    source = train.add_mutually_exclusive_group(required=True)
    source.add_argument("--data", type=Path, help="a CSV file with a target column")
    source.add_argument("--dataset", help="a built-in dataset (see `vigia risk datasets`)")
    train.add_argument("--target", help="target column of the CSV")
    train.add_argument(
        "--positive",
        action="append",
        default=[],
        metavar="VALUE",
        help="target value counted as positive (repeatable; default: 1/yes/true or the "
        "minority of a two-valued target)",
    )
    train.add_argument("--group-col", default="", help="rows sharing it (a patient) stay together")
    train.add_argument("--time-col", default="", help="train on the past, test on the future")
    train.add_argument("--test-from", default="", help="first time value of the test period")
    train.add_argument("--test-size", type=float, default=0.2, help="held-out share (default 0.2)")
    train.add_argument("--slice-cols", default=None, help="comma-separated slice columns")
    train.add_argument("--exclude-cols", default="", help="keep for slices, not as features")
    train.add_argument("--categorical", default="", help="columns holding category codes")
    train.add_argument("--drop-cols", default="", help="columns never to use")
    train.add_argument("--name", default="", help="registered model name")
    train.add_argument("--out", type=Path, required=True, help="output folder")
    train.add_argument("--families", default="", help="model families to search (default all)")
    train.add_argument("--n-iter", type=int, default=4, help="candidates per family (default 4)")
    train.add_argument("--folds", type=int, default=3, help="cross-validation folds (default 3)")
    train.add_argument(
        "--calibration", choices=("auto", "isotonic", "sigmoid", "none"), default="auto"
    )
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--jobs", type=int, default=2, help="parallel fits (default 2)")
    train.add_argument("--sample", type=int, default=0, help="use about N rows (quick runs)")
    train.add_argument("--gates", type=Path, default=None, help="gate thresholds (TOML)")
    train.add_argument("--runner", choices=("subprocess", "container"), default="subprocess")
    train.add_argument("--json", action="store_true", help="print the outcome as JSON")
    train.set_defaults(handler=_train)
    datasets = sub.add_parser("datasets", help="list the built-in datasets")
    datasets.set_defaults(handler=_datasets)
    replay = sub.add_parser(
        "replay",
        help="train, serve, then send the test period's cases week by week through the live "
        "endpoint with labels revealed late: estimated (CBPE) vs realized ROC-AUC per week",
    )
    replay.add_argument("--dataset", default="dengue-severity", help="a built-in dataset with time")
    replay.add_argument("--label-delay", type=int, default=2, help="weeks until labels arrive (2)")
    replay.add_argument("--weeks", type=int, default=0, help="weeks to replay (default: all)")
    replay.add_argument("--sample", type=int, default=0, help="train on about N rows (quick runs)")
    replay.add_argument("--families", default="", help="model families to search (default all)")
    replay.add_argument("--jobs", type=int, default=2, help="parallel fits (default 2)")
    replay.add_argument("--config", type=Path, default=None, help="risk monitoring thresholds")
    replay.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    replay.add_argument(
        "--reuse-model",
        action="store_true",
        help="replay the workspace's live version instead of training a new one",
    )
    replay.add_argument("--json", action="store_true", help="print the timeline as JSON")
    replay.set_defaults(handler=_replay)


def _columns(text: str | None) -> list[str]:
    return [c.strip() for c in (text or "").split(",") if c.strip()]


def task_from_args(args: argparse.Namespace) -> Any:
    """The task the options describe (None for a built-in dataset with no overrides)."""
    from vigia.errors import VigiaError
    from vigia.risk.task import RiskTask

    if args.dataset:
        given = [
            opt
            for opt, value in (
                ("--target", args.target),
                ("--positive", args.positive),
                ("--group-col", args.group_col),
                ("--time-col", args.time_col),
                ("--slice-cols", args.slice_cols),
                ("--categorical", args.categorical),
                ("--drop-cols", args.drop_cols),
                ("--exclude-cols", args.exclude_cols),
            )
            if value
        ]
        if given:
            raise VigiaError(f"--dataset {args.dataset} defines its own task; drop {given[0]}")
        return RiskTask(target="", name=args.name, test_from=args.test_from)
    if not args.target:
        raise VigiaError("--data needs --target (the column to predict)")
    if not 0.0 < args.test_size < 1.0:
        raise VigiaError(f"--test-size must be between 0 and 1, got {args.test_size}")
    stem = re.sub(r"[^a-z0-9]+", "-", args.data.stem.lower()).strip("-") or "table"
    return RiskTask(
        target=args.target,
        positive=list(args.positive),
        group_col=args.group_col,
        time_col=args.time_col,
        test_from=args.test_from,
        test_size=args.test_size,
        slice_cols=_columns(args.slice_cols),
        exclude_cols=_columns(args.exclude_cols),
        categorical=_columns(args.categorical),
        drop_cols=_columns(args.drop_cols),
        name=args.name or f"{stem}-risk",
        label=f"{args.data.name}: {args.target}",
    )


def _train(args: argparse.Namespace) -> int:
    from vigia.evaluate.gates import gate_config_text
    from vigia.risk.datasets import builtin
    from vigia.risk.ingest import ingest_risk
    from vigia.risk.split import train_test

    task = task_from_args(args)
    gates = gate_config_text(args.gates)
    if args.dataset:
        builtin(args.dataset)
        source = args.dataset
        name = args.name or builtin(args.dataset).task().name
        task_json = task.to_json() if (args.name or args.test_from) else ""
    else:
        source = str(args.data.resolve())
        with Step(f"validating {args.data.name}"):
            prepared, card = ingest_risk(source, task)
            train_test(prepared.table, prepared.task, args.seed)  # the split must work too
        say(
            f"  {card['rows_out']:,} rows, {card['features']} features, positive "
            f"{', '.join(card['positive'])}: {100 * card['prevalence']:.1f} %"
        )
        name, task_json = task.name, task.to_json()
    from vigia.risk.workflow import metrics_table
    from vigia.workflows.risk_training import run_risk_training

    ws = workspace(args)
    say(f"▶ risk pipeline for {source if args.dataset else args.data.name} → model {name}")
    outcome = run_risk_training(
        ws,
        gates,
        runner=args.runner,
        registered_name=name,
        source=source,
        task_json=task_json,
        sample_rows=args.sample,
        families=args.families,
        n_iter=args.n_iter,
        folds=args.folds,
        calibration=args.calibration,
        seed=args.seed,
        jobs=args.jobs,
    )
    args.out.mkdir(parents=True, exist_ok=True)
    for key, filename in OUTPUT_FILES.items():
        shutil.copyfile(outcome["files"][key], args.out / filename)
    shutil.copytree(outcome["files"]["model"], args.out / "model", dirs_exist_ok=True)
    if args.json:
        print_json({**outcome, "files": None, "out": str(args.out)})
        refuse_unless_approved(outcome)
        return 0
    metrics, decision = outcome["metrics"], outcome["decision"]
    say("")
    say(metrics_table(metrics))
    say("")
    for col, result in metrics["slices"].items():
        gap = result["gaps"].get("roc_auc")
        if gap:
            say(
                f"slice {col}: ROC-AUC gap {gap['gap']:.3f} "
                f"({gap['lowest']} lowest, {gap['highest']} highest)"
            )
    if outcome["leakage_suspects"]:
        say(f"EDA: {outcome['leakage_suspects']} leakage suspect(s) — see {args.out / 'eda.html'}")
    say(f"gate: {'APPROVED' if decision['approved'] else 'NOT APPROVED'}")
    for reason in decision["reasons"]:
        say(f"  {reason}")
    alias = "challenger" + (", champion" if outcome["pushed"] else "")
    say(f"registered: {name} → version {outcome['version']} ({alias})")
    say(f"pushed: {outcome['pushed_to'] or 'no (not approved)'}")
    say(f"wrote {args.out / 'metrics.json'}, eda.html, model/ … ({outcome['seconds']:.0f}s)")
    refuse_unless_approved(outcome)
    return 0


def _datasets(args: argparse.Namespace) -> int:
    from vigia.risk.datasets import DATASETS

    for dataset in DATASETS.values():
        say(f"{dataset.name:<18} {dataset.description}")
    return 0


def _replay(args: argparse.Namespace) -> int:
    from vigia.monitor.risk_config import load_risk_monitor_config
    from vigia.monitor.risk_replay import ReplayWeek, timeline_table
    from vigia.workflows.risk_replay import ReplaySetup, run_risk_replay

    def show(week: ReplayWeek) -> None:
        auc = "   –  " if week.estimated_roc_auc is None else f"{week.estimated_roc_auc:.3f}"
        drift = "  –  " if week.drift_share is None else f"{week.drift_share:.2f}"
        say(f"  {week.week}  {week.cases:>5} cases  drift {drift}  estimated ROC-AUC {auc}  "
            f"{week.decision}")  # fmt: skip

    config = load_risk_monitor_config(args.config)
    setup = ReplaySetup(
        dataset=args.dataset,
        label_delay_weeks=args.label_delay,
        weeks=args.weeks,
        sample_rows=args.sample,
        families=args.families,
        jobs=args.jobs,
        port=args.port,
        reuse_model=args.reuse_model,
    )
    replay, files = run_risk_replay(
        workspace(args), setup, config, say=say, progress=None if args.json else show
    )
    if args.json:
        print_json(replay.to_dict())
        return 0
    summary = replay.summary()
    say("")
    say(timeline_table(replay.weeks))
    say("")
    for key, what in (("cbpe", "estimated (CBPE)"), ("recalibrated_cbpe", "recalibrated CBPE")):
        errors = summary[key]
        if errors["weeks_compared"]:
            low, high = errors["mean_abs_error_ci90"]
            say(
                f"{what}: {errors['weeks_compared']} weeks, mean |estimated − realized| ROC-AUC "
                f"{errors['mean_abs_error']:.3f} (90% CI {low:.3f}–{high:.3f}), mean estimated − "
                f"realized {errors['mean_error']:+.3f}; {errors['weeks_within_0.03']} weeks "
                "within ±0.03"
            )
    say(f"timeline: {files['md']} · {files['json']} ({replay.seconds:.0f}s)")
    return 0
