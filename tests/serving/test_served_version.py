"""One answer to "what is live": the version a running server reports (V2 metadata) is what
``vigia models list --serving-url`` marks live, and a pointer that disagrees is named."""

from __future__ import annotations

import json

from serving_helpers import BUNDLE_NAME, SWAP, Served, Setup

from vigia.registry.served import served_version
from vigia.registry.store import ModelStore


def test_the_server_reports_its_version_and_a_disagreeing_pointer_is_named(
    bundle_server: Served,
) -> None:
    served = served_version(bundle_server.http, BUNDLE_NAME)
    assert served.version == 1 and served.note == f"served by {bundle_server.http}"
    assert served.disagreement(BUNDLE_NAME, 1) is None
    assert served.disagreement(BUNDLE_NAME, 2) == (
        f"{BUNDLE_NAME}: the server serves version 1 but the store's pointer says 2; "
        "using the served version"
    )
    missing = served_version(bundle_server.http, "no-such-model")
    assert missing.version is None and "answered 404" in missing.note
    down = served_version("http://127.0.0.1:9", BUNDLE_NAME, timeout=1.0)
    assert down.version is None and "not reachable" in down.note


def test_models_list_marks_the_served_version_live(server: Served, setup: Setup, cli) -> None:  # type: ignore[no-untyped-def]
    ws = str(setup.ws.root)
    live = ModelStore(setup.ws.models).current(SWAP)
    done = cli(["--workspace", ws, "models", "list", "--name", SWAP, "--serving-url", server.http])
    assert done.code == 0, done.stderr
    assert f"{SWAP}: live version {live} (served by {server.http})" in done.stdout
    rows = json.loads(cli(["--workspace", ws, "models", "list", "--name", SWAP, "--json",
                           "--serving-url", server.http]).stdout)  # fmt: skip
    assert [r["version"] for r in rows if r["live"]] == [live]
    down = cli(["--workspace", ws, "models", "list", "--name", SWAP,
                "--serving-url", "http://127.0.0.1:9"])  # fmt: skip
    assert down.code == 0 and "not reachable" in down.stdout
    assert "live = the store's pointer" in down.stdout
