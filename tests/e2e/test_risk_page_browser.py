"""The health worker's risk page in Debian's headless Chromium at phone size, served by the real
model server (``vigia serve``) with a real severity model: fill the form with a real 2022 case,
submit, read the probability, the tier and the factors; an impossible age gets a field error; the
page switches to English; no console errors. ``VIGIA_SCREENSHOTS=docs/img`` keeps the screenshot
for the docs (default: the test's tmp dir)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from browser import errors, evaluate, open_page, screenshot, wait_until
from risk_live import MODEL, LiveRisk, install_live_risk_model

from vigia.monitor.risk_replay import v1_instances
from vigia.payloads import hashed_id, read_payloads
from vigia.serving.process import free_ports, start_server, stop_server, wait_ready
from vigia.workspace import Workspace

WIDTH = 390  # a phone


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveRisk, str]]:
    ws = Workspace(tmp_path_factory.mktemp("page") / "ws").ensure()
    live = install_live_risk_model(ws, rows=6000)
    http, grpc = free_ports(2)
    server = start_server(ws.root, http, grpc, ws.root / "server.log")
    try:
        wait_ready(f"http://127.0.0.1:{http}/v2/models/{MODEL}/ready", server)
        yield live, f"http://127.0.0.1:{http}"
    finally:
        stop_server(server)


def _fill(values: dict[str, object]) -> str:
    return (
        "(() => { const values = " + json.dumps(values) + ";"
        " for (const [k, v] of Object.entries(values)) {"
        "  const box = document.getElementById('f-' + k); box.value = v === null ? '' : String(v);"
        "  box.dispatchEvent(new Event('change')); }"
        " document.getElementById('submit').click(); return true; })()"
    )


@pytest.mark.slow  # a model, a server and a browser: ≈ 1 minute on a quiet machine
def test_a_health_worker_gets_a_risk_tier_on_a_phone(
    served: tuple[LiveRisk, str], tmp_path: Path
) -> None:
    live, base = served
    case = live.test.sample(1, random_state=7)
    instance = v1_instances(case, live.model.features)[0]
    direct = httpx.post(
        f"{base}/v1/models/{MODEL}:predict",
        json={"instances": [instance]},
        headers={"x-request-id": "direct-1"},
    )
    expected = direct.json()["predictions"][0]["probability"]
    shot = Path(os.environ.get("VIGIA_SCREENSHOTS") or tmp_path) / "risk-page.png"
    with open_page(f"{base}/risk/{MODEL}", width=WIDTH) as tools:
        wait_until(tools, "document.getElementById('f-edad') !== null")
        assert evaluate(tools, "document.getElementById('title').textContent").startswith("Dengue")
        assert evaluate(tools, "document.getElementById('f-sexo').tagName") == "SELECT"
        evaluate(tools, _fill(instance))
        wait_until(tools, "!document.getElementById('result').hidden")
        shown = evaluate(tools, "document.getElementById('probability').textContent")
        assert shown == f"{100 * expected:.1f} %"
        level = evaluate(tools, "document.getElementById('tier').dataset.level")
        assert level in ("low", "medium", "high")
        tier = evaluate(tools, "document.getElementById('tier-name').textContent")
        assert tier.startswith("Grupo ")
        assert "OPS" in evaluate(tools, "document.getElementById('tier-source').textContent")
        factors = evaluate(
            tools, "[...document.querySelectorAll('#factors li')].map(li => li.textContent)"
        )
        assert len(factors) == 3 and all("riesgo" in f for f in factors)
        screenshot(tools, shot, WIDTH)
        # An impossible age: the field says why, the result is withdrawn.
        evaluate(tools, _fill({"edad": "200"}))
        wait_until(tools, "!document.getElementById('e-edad').hidden")
        message = evaluate(tools, "document.getElementById('e-edad').textContent")
        age = next(f for f in live.model.features if f.name == "edad")
        assert age.maximum is not None and age.maximum < 200
        assert message.startswith(f"Debe estar entre {age.minimum:g} y {age.maximum:g}")
        assert evaluate(tools, "document.getElementById('result').hidden") is True
        assert evaluate(tools, "document.getElementById('f-edad').getAttribute('aria-invalid')")
        # English.
        evaluate(tools, "document.querySelector('[data-lang=en]').click()")
        assert evaluate(tools, "document.getElementById('l-edad').textContent") == "Age (years)"
        assert evaluate(tools, "document.documentElement.lang") == "en"
        fits = evaluate(tools, "document.documentElement.scrollWidth <= window.innerWidth")
        assert fits, "the page is wider than a phone screen"
        assert errors(tools.events) == []
    # The valid assessment went through the model like any request (feature values only).
    records = read_payloads(live.ws.payload_logs / MODEL)[0]
    page = [r for r in records if r["request_id"] != hashed_id("direct-1")]
    assert len(records) == 2 and len(page) == 1 and page[0]["inputs"] == [instance]
    assert shot.exists() and shot.stat().st_size > 10_000


@pytest.mark.slow  # shares the served model above
def test_the_page_endpoints_answer_json_errors(served: tuple[LiveRisk, str]) -> None:
    _, base = served
    assert httpx.get(f"{base}/risk/nope").status_code == 404
    reply = httpx.post(f"{base}/risk/{MODEL}/assess", content=b"not json")
    assert reply.status_code == 400 and "values" in reply.json()["error"]
    reply = httpx.post(f"{base}/risk/{MODEL}/assess", json={"values": {"patient_nbr": "1"}})
    assert reply.status_code == 422 and "patient_nbr" in reply.json()["errors"]
    assert MODEL in httpx.get(f"{base}/risk").text
