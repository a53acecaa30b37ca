"""The promote step's Prometheus queries against a real Prometheus (Debian's ``prometheus``,
installed with promtool) scraping a real predictor, labelled like the PodMonitor labels a
Knative revision's pods. The numbers it reads back are the requests this test sent."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml
from serving_helpers import BUNDLE_NAME, Served

from vigia.rollout.canary import REVISION_LABEL, CanaryPolicy, canary_stats, judge
from vigia.serving.process import free_ports

REVISION = "dengue-forecast-predictor-00002"


@pytest.fixture
def prometheus(bundle_server: Served, tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("prometheus")
    assert binary, "prometheus is not installed: run `make promtool` (Debian package prometheus)"
    (port,) = free_ports(1)
    target = bundle_server.http.removeprefix("http://")
    config = {
        "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
        "scrape_configs": [{
            "job_name": "predictor",
            "static_configs": [{"targets": [target], "labels": {REVISION_LABEL: REVISION}}],
        }],
    }  # fmt: skip
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
    log = open(tmp_path / "prometheus.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, f"--config.file={tmp_path / 'prometheus.yml'}",
         f"--storage.tsdb.path={tmp_path / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        else:
            raise AssertionError((tmp_path / "prometheus.log").read_text())
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_canary_numbers_come_from_the_predictor_metrics(
    bundle_server: Served, prometheus: str
) -> None:
    before = f'vigia_requests_total{{model="{BUNDLE_NAME}",protocol="v1"}}'
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # a scrape before the requests (as of a new revision)
        found = httpx.get(f"{prometheus}/api/v1/query", params={"query": before}).json()
        if found["data"]["result"]:
            break
        time.sleep(0.5)
    predict = bundle_server.url(f"/v1/models/{BUNDLE_NAME}:predict")
    for _ in range(40):
        assert httpx.post(predict, json={"instances": [{"region": "PIURA"}]}).status_code == 200
    for _ in range(5):  # client mistakes are not the canary's failures
        assert httpx.post(predict, json={"instances": [{"region": "LIMA"}]}).status_code == 404
    deadline = time.monotonic() + 30
    stats = None
    while time.monotonic() < deadline:
        time.sleep(1.0)
        stats = canary_stats(prometheus, BUNDLE_NAME, [REVISION], window_seconds=60)
        if stats.requests >= 40:
            break
    assert stats is not None and stats.requests >= 40, stats
    assert stats.errors == 0
    assert stats.p99_seconds is not None and 0 < stats.p99_seconds < 5
    verdict = judge(stats, CanaryPolicy(window_seconds=60, min_requests=20, max_p99_seconds=5))
    assert verdict.promote, verdict.reasons
    other = canary_stats(prometheus, BUNDLE_NAME, ["another-revision"], window_seconds=60)
    assert other.requests == 0 and other.p99_seconds is None
