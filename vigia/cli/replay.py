"""``vigia replay``: the monitoring loop shown on real past weeks
(:func:`vigia.workflows.replay.replay`). Prints the timeline: week, drift share, rolling relative
WIS, decision, live version.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from vigia.cli.pipeline import add_training_options
from vigia.progress import say
from vigia.workflows.replay import DEFAULT_CUT_OFF


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "replay",
        help="replay past weeks through the live endpoint: weekly monitoring, retraining, "
        "a timeline",
    )
    parser.add_argument(
        "--cut-off",
        default=DEFAULT_CUT_OFF,
        help=f"train on weeks up to this date ({DEFAULT_CUT_OFF})",
    )
    parser.add_argument(
        "--weeks", type=int, default=0, help="weeks to replay after the cut-off (default: all)"
    )
    parser.add_argument("--config", type=Path, default=None, help="monitoring thresholds (TOML)")
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    add_training_options(parser)
    parser.set_defaults(handler=_replay)


def _replay(args: argparse.Namespace) -> int:
    from vigia.cli.common import unmade_workspace
    from vigia.cli.pipeline import training_spec
    from vigia.workflows.replay import ReplaySpec, replay

    spec = ReplaySpec(
        training=training_spec(args),
        cut_off=args.cut_off,
        weeks=args.weeks,
        port=args.port,
        config=args.config,
        gates=args.gates,
    )
    outcome = replay(unmade_workspace(args), spec, say)
    counts = outcome.counts()
    say("")
    say(outcome.table)
    say("")
    say(
        f"{len(outcome.rows)} weeks: {counts['nothing']} nothing, {counts['warn']} warn, "
        f"{counts['retrain']} retrain; finished in {outcome.seconds:.0f}s"
    )
    say(f"timeline: {outcome.files['md']} · reports: {outcome.reports_root} · see them: vigia ui")
    return 0
