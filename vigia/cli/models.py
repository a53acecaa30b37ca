"""``vigia models``: list registered versions, roll the champion back."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from vigia.cli.common import warn, workspace
from vigia.cli.output import print_json
from vigia.progress import say


def register(commands: Any) -> None:
    parser = commands.add_parser("models", help="list registered models, roll back the champion")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="registered versions with aliases and gate results")
    listing.add_argument("--name", default=None, help="only this registered model")
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--serving-url",
        default="",
        metavar="URL",
        help="a running predictor (e.g. http://127.0.0.1:8080): mark the version it serves as "
        "live rather than the store's pointer, and say when they disagree",
    )
    listing.set_defaults(handler=_list)
    back = sub.add_parser("rollback", help="make the previous approved version champion and live")
    back.add_argument("--name", default="dengue-forecast")
    cluster = back.add_argument_group("on a cluster (docs/deploy.md)")
    cluster.add_argument(
        "--cluster",
        action="store_true",
        help="roll back the KServe InferenceServices of the model through the Kubernetes API",
    )
    cluster.add_argument("--namespace", default="vigia", help="their namespace")
    cluster.add_argument("--kubeconfig", default=None, help="default: KUBECONFIG or ~/.kube/config")
    cluster.add_argument("--context", default=None, help="kubeconfig context")
    cluster.add_argument(
        "--tracking-uri",
        default=None,
        metavar="URL",
        help="the cluster's MLflow (e.g. a port-forward): pick the previous approved version "
        "there and move champion to it; without it, the version the served one replaced",
    )
    cluster.add_argument(
        "--timeout", type=float, default=600.0, help="seconds for the old version's revision"
    )
    back.set_defaults(handler=_rollback)


def _list(args: argparse.Namespace) -> int:
    from vigia.registry.lifecycle import list_models
    from vigia.registry.served import served_version
    from vigia.registry.store import ModelStore

    ws = workspace(args)
    versions = list_models(ws, args.name)
    store = ModelStore(ws.models)
    names = sorted({v.name for v in versions})
    pointers = {name: store.current(name) for name in names}
    live = dict(pointers)
    notes = []
    if args.serving_url:
        for name in names:
            served = served_version(args.serving_url, name)
            if served.version is None:
                notes.append(f"{name}: {served.note}; live = the store's pointer")
                continue
            live[name] = served.version
            problem = served.disagreement(name, pointers[name])
            notes.append(problem or f"{name}: live version {served.version} ({served.note})")
    if args.json:
        rows = [{**v.to_dict(), "live": live.get(v.name) == v.version,
                 "pointer": pointers.get(v.name) == v.version} for v in versions]  # fmt: skip
        for note in notes:
            warn(note)
        print_json(rows)
        return 0
    if not versions:
        say("no registered models yet: run `vigia pipeline run training`")
        return 0
    say(f"{'model':<22} {'ver':>4} {'approved':>8} {'live':>5}  {'rel. WIS':>8}  aliases  created")
    for v in versions:
        is_live = "yes" if live.get(v.name) == v.version else ""
        created = datetime.fromtimestamp(v.created / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        rel = v.metrics.get("relative_wis")
        rel_text = f"{rel:8.3f}" if rel is not None else f"{'-':>8}"
        say(
            f"{v.name:<22} {v.version:>4} {('yes' if v.approved else 'no'):>8} {is_live:>5}  "
            f"{rel_text}  {','.join(v.aliases) or '-':<8} {created}"
        )
    for note in notes:
        say(note)
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from vigia.registry.lifecycle import rollback

    if args.cluster:
        return _cluster_rollback(args)

    done = rollback(workspace(args), args.name)
    for line in done.repaired:
        say(f"{done.name}: repaired: {line}")
    say(f"{done.name}: champion and live version {done.from_version} → {done.to_version}")
    return 0


def _cluster_rollback(args: argparse.Namespace) -> int:
    from vigia.rollout.flow import cluster_rollback
    from vigia.rollout.inferenceservice import InferenceServices

    isvcs = InferenceServices.connect(args.namespace, args.kubeconfig, args.context)
    done = cluster_rollback(
        isvcs, args.name, args.tracking_uri, args.timeout, progress=lambda line: say(line)
    )
    for state in done.states:
        say(state.describe())
    champion = "; champion moved" if args.tracking_uri else ""
    say(f"{done.name}: served version {done.from_version} → {done.to_version}{champion}")
    return 0
