"""``vigia models``: list registered versions, roll the champion back."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from vigia.cli.common import workspace
from vigia.progress import say


def register(commands: Any) -> None:
    parser = commands.add_parser("models", help="list registered models, roll back the champion")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="registered versions with aliases and gate results")
    listing.add_argument("--name", default=None, help="only this registered model")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    back = sub.add_parser("rollback", help="make the previous approved version champion and live")
    back.add_argument("--name", default="dengue-forecast")
    back.set_defaults(handler=_rollback)


def _list(args: argparse.Namespace) -> int:
    from vigia.registry.lifecycle import list_models
    from vigia.registry.store import ModelStore

    ws = workspace(args)
    versions = list_models(ws, args.name)
    store = ModelStore(ws.models)
    if args.json:
        print(json.dumps([v.to_dict() for v in versions], indent=2))
        return 0
    if not versions:
        say("no registered models yet: run `vigia pipeline run training`")
        return 0
    say(f"{'model':<22} {'ver':>4} {'approved':>8} {'live':>5}  {'rel. WIS':>8}  aliases  created")
    for v in versions:
        live = "yes" if store.current(v.name) == v.version else ""
        created = datetime.fromtimestamp(v.created / 1000, UTC).strftime("%Y-%m-%d %H:%M")
        rel = v.metrics.get("relative_wis")
        rel_text = f"{rel:8.3f}" if rel is not None else f"{'-':>8}"
        say(
            f"{v.name:<22} {v.version:>4} {('yes' if v.approved else 'no'):>8} {live:>5}  "
            f"{rel_text}  {','.join(v.aliases) or '-':<8} {created}"
        )
    return 0


def _rollback(args: argparse.Namespace) -> int:
    from vigia.registry.lifecycle import rollback

    done = rollback(workspace(args), args.name)
    for line in done.repaired:
        say(f"{done.name}: repaired: {line}")
    say(f"{done.name}: champion and live version {done.from_version} → {done.to_version}")
    return 0
