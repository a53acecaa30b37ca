"""``vigia pipeline submit`` / ``schedule``: cron validation, cluster parameters, the model store
mount in the compiled pipeline, bearer-token auth and readable errors.

No Kubeflow API server runs here; the auth test points the real ``kfp.Client`` at a local HTTP
endpoint (127.0.0.1) that records the headers it receives and refuses every call, as a KFP API
behind an authenticating proxy does for a bad token."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml

from vigia.errors import VigiaError
from vigia.pipelines.cluster import (
    KFP_API_URL,
    MODEL_STORE_CLAIM,
    MODEL_STORE_PATH,
    PAYLOADS_PATH,
    PUSHGATEWAY_URL,
    TRACKING_URI,
)
from vigia.pipelines.submit import (
    DEFAULT_SCHEDULES,
    compile_pipeline,
    resolve_parameters,
    validate_cron,
)

VALID_CRONS = ["0 0 6 * * 1", "0 */15 * * * *", "30 0 6 ? * MON-FRI", "0 0 0 1 1,7 ?"]
INVALID_CRONS = [
    ("0 6 * * 1", "has 5 fields"),
    ("0 0 24 * * *", "hour '24' is not in 0-23"),
    ("0 61 6 * * 1", "minute '61' is not in 0-59"),
    ("0 0 6 0 * *", "day of month '0' is not in 1-31"),
    ("0 0 6 * 13 *", "month '13' is not in 1-12"),
    ("0 0 6 * * FUN", "day of week 'FUN' is not in 0-6"),
    ("0 0 6 * * 1/0", "step must be at least 1"),
    ("? 0 6 * * 1", "'?' only for day of month/week"),
    ("0 0 6 * * 1;", "bad day of week"),
]


@pytest.mark.parametrize("cron", [*VALID_CRONS, *DEFAULT_SCHEDULES.values()])
def test_valid_six_field_crons_pass(cron: str) -> None:
    assert validate_cron(cron) == cron


@pytest.mark.parametrize(("cron", "message"), INVALID_CRONS)
def test_invalid_crons_name_the_field(cron: str, message: str) -> None:
    with pytest.raises(VigiaError, match=re.escape(message)):
        validate_cron(cron)


@pytest.fixture(scope="module")
def training_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_pipeline("training", tmp_path_factory.mktemp("compiled"))


def test_cluster_defaults_fill_the_training_parameters(training_package: Path) -> None:
    resolved = resolve_parameters(
        training_package, {"method": "seasonal_naive"}, {"gate_config": "[forecast]\n"}
    )
    assert resolved["tracking_uri"] == TRACKING_URI
    assert resolved["store_root"] == MODEL_STORE_PATH
    assert resolved["gate_config"] == "[forecast]\n"
    assert resolved["method"] == "seasonal_naive"
    assert "payload_root" not in resolved  # only parameters the pipeline declares


def test_cluster_defaults_fill_the_monitoring_parameters(tmp_path: Path) -> None:
    package = compile_pipeline("monitoring", tmp_path)
    resolved = resolve_parameters(package, {}, {"gate_config": "[forecast]\n"})
    assert resolved["payload_root"] == PAYLOADS_PATH
    assert resolved["pushgateway_url"] == PUSHGATEWAY_URL
    assert resolved["kfp_host"] == KFP_API_URL
    assert resolved["tracking_uri"] == TRACKING_URI


def test_unknown_and_missing_parameters_are_named(training_package: Path) -> None:
    with pytest.raises(VigiaError, match="has no parameter colour"):
        resolve_parameters(training_package, {"colour": "blue"}, {"gate_config": ""})
    with pytest.raises(VigiaError, match="needs --param gate_config"):
        resolve_parameters(training_package, {})


def test_unknown_pipeline_is_named(tmp_path: Path) -> None:
    with pytest.raises(VigiaError, match=r"unknown pipeline 'nope'; pipelines: .*training"):
        compile_pipeline("nope", tmp_path)


def test_push_step_mounts_the_model_store_on_the_cluster(training_package: Path) -> None:
    docs = [d for d in yaml.safe_load_all(training_package.read_text(encoding="utf-8")) if d]
    executors = docs[1]["platforms"]["kubernetes"]["deploymentSpec"]["executors"]
    push = executors["exec-push"]
    assert push["pvcMount"][0]["mountPath"] == MODEL_STORE_PATH
    assert push["pvcMount"][0]["constant"] == MODEL_STORE_CLAIM
    assert push["podMetadata"]["annotations"] == {"gke-gcsfuse/volumes": "true"}
    # Only push (writes), promote (reads what it pushed for the canary verdict) and the dashboard
    # after them (reads the live version) touch the store.
    assert set(executors) == {"exec-push", "exec-promote", "exec-dashboard"}
    assert executors["exec-dashboard"]["pvcMount"][0]["mountPath"] == MODEL_STORE_PATH


class RefusingKfpApi(BaseHTTPRequestHandler):
    """Answers KFP's health check, refuses everything else with 403; records what it saw."""

    seen: ClassVar[list[tuple[str, str, str | None]]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("Authorization")))
        if self.path.startswith("/apis/v2beta1/healthz"):
            status, body = 200, {"multi_user": False}
        else:
            status, body = 403, {"error": "token rejected", "code": 7}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:  # keep test output clean
        return None


@pytest.fixture
def kfp_api() -> Iterator[str]:
    RefusingKfpApi.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), RefusingKfpApi)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("action", [["schedule", "training"], ["submit", "training"]])
def test_token_is_sent_and_a_refusal_is_one_readable_line(cli, kfp_api: str, action) -> None:
    result = cli(["pipeline", *action, "--host", kfp_api], env={"KFP_TOKEN": "s3cret-token"})
    assert result.code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"vigia: error: KFP API at {kfp_api} answered 403" in result.stderr
    assert "Traceback" not in result.stderr
    paths = [path for _, path, _ in RefusingKfpApi.seen]
    assert any(p.startswith("/apis/v2beta1/healthz") for p in paths)
    assert any(not p.startswith("/apis/v2beta1/healthz") for p in paths)
    assert {auth for _, _, auth in RefusingKfpApi.seen} == {"Bearer s3cret-token"}


def test_inside_a_pod_the_service_account_token_file_is_used(
    cli, kfp_api: str, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("pod-token\n", encoding="utf-8")
    env = {"KFP_TOKEN": "", "KF_PIPELINES_SA_TOKEN_PATH": str(token_file)}
    result = cli(["pipeline", "submit", "training", "--host", kfp_api], env=env)
    assert result.code == 2, result.stderr
    assert {auth for _, _, auth in RefusingKfpApi.seen} == {"Bearer pod-token"}


def test_cli_errors_exit_2_without_traceback(cli, kfp_api: str) -> None:
    cases = [
        (["schedule", "training", "--cron", "0 6 * * 1"], {"KFP_TOKEN": "t"}, "has 5 fields"),
        (["schedule", "training"], {"KFP_TOKEN": ""}, "no token: set KFP_TOKEN"),
        (["submit", "nope"], {"KFP_TOKEN": "t"}, "unknown pipeline 'nope'"),
        (["submit", "training", "--param", "x"], {"KFP_TOKEN": "t"}, "expected KEY=VALUE"),
    ]
    for args, env, message in cases:
        result = cli(["pipeline", *args, "--host", kfp_api], env=env)
        assert result.code == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
