"""Cluster releases against a local stand-in for the Kubernetes API server.

No cluster runs here, so the rollout code (``vigia.rollout``, the real ``kubernetes`` client
with a real kubeconfig) talks over HTTP to ``tools/infra/fake_kube_api.py``: a small server
holding the InferenceServices **rendered from the prod overlay**, authorising every call with
the **Role the manifests ship** (``vigia-rollout``), validating every patched object against the
**InferenceService CRD schema** in ``tools/infra/schemas`` (unknown fields rejected) and
playing KServe's traffic split. Why a server rather than only validating request bodies: it
also checks what the client actually sends (paths, verbs, patch content type, field manager,
label selector, token) and lets the multi-step flows (canary → promote, roll back) run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from vigia.errors import VigiaError
from vigia.rollout.canary import CanaryPolicy
from vigia.rollout.flow import cluster_rollback, promote_or_roll_back, release_pushed
from vigia.rollout.inferenceservice import FIELD_MANAGER, InferenceServices
from vigia.rollout.release import promote

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / ".venv-infra" / "bin"
TOKEN = "rollout-test-token"
BUCKET = "gs://vigia-health-models"
NEVER_READY = f"{BUCKET}/dengue-forecast/3"


def rendered_prod() -> list[dict[str, Any]]:
    if not (INFRA / "python").exists():
        pytest.fail(f"{INFRA} is missing: run `make infra-venv` (make test does)")
    done = subprocess.run(
        [str(INFRA / "kubectl"), "kustomize", str(ROOT / "manifests" / "overlays" / "prod")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return [d for d in yaml.safe_load_all(done.stdout) if d]


@pytest.fixture(scope="module")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    objects = rendered_prod()
    folder = tmp_path_factory.mktemp("kube")
    isvcs = [o for o in objects if o["kind"] == "InferenceService"]
    role = next(
        o for o in objects if o["kind"] == "Role" and o["metadata"]["name"] == "vigia-rollout"
    )
    (folder / "isvcs.yaml").write_text(yaml.safe_dump_all(isvcs), encoding="utf-8")
    (folder / "role.yaml").write_text(yaml.safe_dump(role), encoding="utf-8")
    return folder


@pytest.fixture
def api(manifests: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A fresh fake API server (state starts at the manifests) and a kubeconfig for it."""
    process = subprocess.Popen(
        [str(INFRA / "python"), "-m", "tools.infra.fake_kube_api", "--token", TOKEN,
         "--objects", str(manifests / "isvcs.yaml"), "--role", str(manifests / "role.yaml"),
         "--never-ready", NEVER_READY],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on "), line + process.stdout.read()
        url = line.split()[-1]
        kubeconfig = tmp_path / "kubeconfig"
        kubeconfig.write_text(
            yaml.safe_dump({
                "apiVersion": "v1", "kind": "Config", "current-context": "test",
                "clusters": [{"name": "fake", "cluster": {"server": url}}],
                "users": [{"name": "pipeline", "user": {"token": TOKEN}}],
                "contexts": [{"name": "test", "context": {"cluster": "fake", "user": "pipeline"}}],
            }),
            encoding="utf-8",
        )  # fmt: skip
        yield url, kubeconfig
    finally:
        process.terminate()
        process.wait(timeout=10)


def state(url: str, name: str) -> dict[str, Any]:
    items = httpx.get(f"{url}/_state", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    return next(o for o in items["items"] if o["metadata"]["name"] == name)


def no_sleep(seconds: float) -> None:
    pass


def test_canary_then_promote_patches_every_isvc_of_the_model(api: tuple[str, Path]) -> None:
    url, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    states = release_pushed(isvcs, "dengue-forecast", 2, BUCKET, 10)
    assert [s.name for s in states] == ["dengue-forecast", "dengue-forecast-grpc"]
    for name in ("dengue-forecast", "dengue-forecast-grpc"):
        obj = state(url, name)
        predictor = obj["spec"]["predictor"]
        assert predictor["model"]["storageUri"] == f"{BUCKET}/dengue-forecast/2"
        assert predictor["canaryTrafficPercent"] == 10
        assert obj["metadata"]["annotations"]["vigia.io/previous-version"] == "1"
        assert FIELD_MANAGER in [f["manager"] for f in obj["metadata"]["managedFields"]]
        split = {
            t["revisionName"]: t["percent"]
            for t in obj["status"]["components"]["predictor"]["traffic"]
        }
        assert split == {f"{name}-predictor-00002": 10, f"{name}-predictor-00001": 90}
    # the other model is untouched
    severity = state(url, "dengue-severity")["spec"]["predictor"]["model"]["storageUri"]
    assert severity.endswith("/dengue-severity/1")
    promoted = promote(isvcs, "dengue-forecast")
    assert all(s.traffic == [{"revisionName": f"{s.name}-predictor-00002", "percent": 100,
                               "latestRevision": True}] for s in promoted)  # fmt: skip


def test_a_retried_push_step_does_not_start_another_revision(api: tuple[str, Path]) -> None:
    _url, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    release_pushed(isvcs, "dengue-forecast", 2, BUCKET, 10)
    # (no bucket given: the one the InferenceServices serve from)
    again = release_pushed(isvcs, "dengue-forecast", 2, "", 10)
    assert {s.latest_revision for s in again} == {
        "dengue-forecast-predictor-00002",
        "dengue-forecast-grpc-predictor-00002",
    }
    assert all(s.previous == 1 for s in again)


def test_the_api_server_rejects_a_field_the_crd_does_not_know(api: tuple[str, Path]) -> None:
    _, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    bad = {"spec": {"predictor": {"model": {"storageURI": f"{BUCKET}/dengue-forecast/2"}}}}
    with pytest.raises(VigiaError, match=r"422 .*'storageURI' was unexpected"):
        isvcs.patch("dengue-forecast", bad)


def test_rbac_allows_only_inferenceservices_in_the_serving_namespace(
    api: tuple[str, Path],
) -> None:
    _, kubeconfig = api
    elsewhere = InferenceServices.connect("kubeflow", str(kubeconfig))
    with pytest.raises(VigiaError, match=r"403 .*cannot list .* namespace \"kubeflow\""):
        elsewhere.for_model("dengue-forecast")
    rules = next(o for o in rendered_prod() if o["kind"] == "Role"
                 and o["metadata"]["name"] == "vigia-rollout")["rules"]  # fmt: skip
    assert rules == [{"apiGroups": ["serving.kserve.io"], "resources": ["inferenceservices"],
                      "verbs": ["get", "list", "patch"]}]  # fmt: skip


def test_wrong_token_is_refused(api: tuple[str, Path], tmp_path: Path) -> None:
    _, kubeconfig = api
    other = tmp_path / "other"
    other.write_text(kubeconfig.read_text().replace(TOKEN, "not-the-token"), encoding="utf-8")
    with pytest.raises(VigiaError, match="401"):
        InferenceServices.connect("vigia", str(other)).for_model("dengue-forecast")


def test_a_canary_that_never_gets_ready_is_rolled_back(api: tuple[str, Path]) -> None:
    url, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    release_pushed(isvcs, "dengue-forecast", 3, BUCKET, 10)  # NEVER_READY
    rolled: list[int] = []
    outcome = promote_or_roll_back(
        isvcs, "dengue-forecast", 3, CanaryPolicy(window_seconds=1), "http://127.0.0.1:9",
        ready_timeout=0.0, roll_store_back=rolled.append, sleep=no_sleep,
    )  # fmt: skip
    assert not outcome.verdict.promote
    assert "did not become ready" in outcome.verdict.reasons[0]
    assert outcome.rolled_back_to == 1 and rolled == [1]
    for name in ("dengue-forecast", "dengue-forecast-grpc"):
        obj = state(url, name)
        assert obj["spec"]["predictor"]["model"]["storageUri"] == f"{BUCKET}/dengue-forecast/1"
        assert obj["spec"]["predictor"]["canaryTrafficPercent"] == 100
        traffic = obj["status"]["components"]["predictor"]["traffic"]
        assert traffic == [{"revisionName": f"{name}-predictor-00003", "percent": 100,
                            "latestRevision": True}]  # fmt: skip


def test_without_a_canary_split_the_promote_step_only_confirms(api: tuple[str, Path]) -> None:
    _, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    release_pushed(isvcs, "dengue-forecast", 2, BUCKET, 100)
    outcome = promote_or_roll_back(
        isvcs, "dengue-forecast", 2, CanaryPolicy(), "http://127.0.0.1:9", ready_timeout=5.0,
        roll_store_back=lambda v: pytest.fail("nothing to roll back"), sleep=no_sleep,
    )  # fmt: skip
    assert outcome.verdict.promote and outcome.served == 2


def test_cli_rolls_back_on_the_cluster_in_one_command(api: tuple[str, Path], cli: Any) -> None:
    url, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    release_pushed(isvcs, "dengue-forecast", 2, BUCKET, 100)
    done = cli(["models", "rollback", "--cluster", "--kubeconfig", str(kubeconfig),
                "--name", "dengue-forecast", "--timeout", "30"])  # fmt: skip
    assert done.code == 0, done.stderr
    assert "dengue-forecast: served version 2 → 1" in done.stdout
    for name in ("dengue-forecast", "dengue-forecast-grpc"):
        spec = state(url, name)["spec"]["predictor"]
        assert spec["model"]["storageUri"] == f"{BUCKET}/dengue-forecast/1"
        assert spec["canaryTrafficPercent"] == 100


def test_cli_without_credentials_says_so_in_one_line(cli: Any, tmp_path: Path) -> None:
    done = cli(["models", "rollback", "--cluster", "--kubeconfig", str(tmp_path / "none")])
    assert done.code == 2
    assert done.stderr.strip().count("\n") == 0, done.stderr
    assert "no Kubernetes credentials" in done.stderr


def test_cluster_rollback_refuses_without_an_older_version(api: tuple[str, Path]) -> None:
    _, kubeconfig = api
    isvcs = InferenceServices.connect("vigia", str(kubeconfig))
    with pytest.raises(VigiaError, match="no approved version older than the served version 1"):
        cluster_rollback(isvcs, "dengue-forecast", None, 5.0, sleep=no_sleep)
