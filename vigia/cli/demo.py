"""``vigia demo``: the main job end to end on the real Peru data.

Data → training pipeline (kfp.local) → backtest vs baselines → approval gate → MLflow registry →
model store → a KServe server started here → one live forecast fetched over HTTP.
"""

from __future__ import annotations

import argparse
import json
import signal
from typing import Any

from vigia.cli.pipeline import add_training_options, print_outcome, run_training
from vigia.errors import GateRefusedError, RuntimeFailure, VigiaError
from vigia.progress import Step, say
from vigia.serving.process import free_ports, start_server, stop_server, wait_ready

MODEL = "dengue-forecast"
DEMO_REGIONS = ("PIURA", "LORETO", "LIMA")


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "demo", help="run the main job end to end: real data → pipeline → gate → served forecast"
    )
    add_training_options(parser)
    parser.add_argument("--port", type=int, default=0, help="HTTP port (default: a free one)")
    parser.add_argument(
        "--keep-serving", action="store_true", help="leave the server running at the end"
    )
    parser.set_defaults(handler=_demo)


def print_forecast(response: dict[str, Any]) -> None:
    """The V1 predictions as a small table: median and 50/90 % intervals per horizon."""
    for row in response["predictions"]:
        levels = row["quantile_levels"]
        at = {round(q, 3): i for i, q in enumerate(levels)}
        say(f"  {row['region']} (last observed week {row['origin']}):")
        for h, target, values in zip(
            row["horizons"], row["target_weeks"], row["quantiles"], strict=True
        ):
            say(
                f"    +{h} week(s) {target}: median {values[at[0.5]]:7.1f}   "
                f"50% [{values[at[0.25]]:.1f}, {values[at[0.75]]:.1f}]   "
                f"90% [{values[at[0.05]]:.1f}, {values[at[0.95]]:.1f}]"
            )


def _demo(args: argparse.Namespace) -> int:
    import httpx

    from vigia.cli.common import workspace
    from vigia.registry.store import ModelStore

    say("Vigía demo: real data → training pipeline → gate → registry → served forecast")
    outcome = run_training(args)
    ws = workspace(args)
    card = outcome["card"]
    say("")
    say(
        f"data: {card['source']}: {card['rows_in']:,} rows in → {card['rows_out']:,} panel rows; "
        f"{card['n_regions']} regions × {card['n_weeks']} weeks "
        f"({card['week_range'][0]} … {card['week_range'][1]}); dropped "
        f"{sum(card['rows_dropped'].values())} rows {card['rows_dropped'] or ''}; "
        f"hash {card['content_hash'][:12]}"
    )
    print_outcome(outcome)

    store = ModelStore(ws.models)
    live = store.current(MODEL)
    if live is None:
        raise GateRefusedError("no approved model to serve: the gate rejected every version so far")
    http_port, grpc_port = free_ports(2)
    port = args.port or http_port
    log = ws.logs / "demo-server.log"
    with Step(f"starting KServe model server (live version {live})"):
        server = start_server(ws.root, port, grpc_port, log)
        try:
            ready_after = wait_ready(f"http://127.0.0.1:{port}/v2/models/{MODEL}/ready", server)
        except VigiaError:
            stop_server(server)
            raise
    base = f"http://127.0.0.1:{port}"
    say(
        f"endpoint: {base}/v1/models/{MODEL}:predict  (ready in {ready_after:.1f}s; "
        f"V2: {base}/v2/models/{MODEL}/infer; log {log})"
    )
    try:
        request = {"instances": [{"region": r} for r in DEMO_REGIONS]}
        reply = httpx.post(f"{base}/v1/models/{MODEL}:predict", json=request, timeout=30.0)
        if reply.status_code != 200:
            raise RuntimeFailure(f"forecast request failed: HTTP {reply.status_code} {reply.text}")
        body = reply.json()
        say(
            f"live forecast over HTTP from {body.get('model_name', MODEL)} "
            f"version {body.get('model_version', '?')}:"
        )
        print_forecast(body)
        (ws.reports / "demo-forecast.json").write_text(json.dumps(body, indent=2), "utf-8")
    finally:
        if args.keep_serving:
            say(f"server left running (pid {server.pid}); stop it with: kill -INT {server.pid}")
        else:
            with Step("stopping the server"):
                code = stop_server(server)
            if code not in (0, -signal.SIGINT, 130):
                say(f"  server exited with code {code}; see {log}")
    dashboard = ws.reports / "dashboard" / "index.html"
    if dashboard.exists():
        say(f"officials' dashboard (works offline): {dashboard}")
    say(f"done. MLflow UI: mlflow ui --backend-store-uri {ws.tracking_uri}")
    return 0
