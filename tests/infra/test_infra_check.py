"""``make infra-check`` bites: run its checker (tools/infra/check.py, in .venv-infra) on a copy of
the repository with one defect planted, and expect a failure that names the defect. The pristine
copy passes the same steps, so the defect is what fails."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INFRA_PYTHON = ROOT / ".venv-infra" / "bin" / "python"
QUICK_STEPS = "render,schemas,pod-security,serving-ports,image-pins,terraform"


def run_checker(root: Path, steps: str) -> subprocess.CompletedProcess[str]:
    """The infra checker on ``root`` (a repository copy), as ``make infra-check`` runs it."""
    if not INFRA_PYTHON.exists():
        pytest.fail(f"{INFRA_PYTHON} is missing: run `make infra-venv` (make test does)")
    return subprocess.run(
        [str(INFRA_PYTHON), "-m", "tools.infra.check", "--root", str(root), "--steps", steps],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture
def repo_copy(tmp_path: Path) -> Path:
    """The files infra-check reads, copied."""
    copy = tmp_path / "repo"
    for folder in ("manifests", "terraform", "pipelines/compiled"):
        shutil.copytree(ROOT / folder, copy / folder)
    (copy / "vigia").mkdir()
    shutil.copy(ROOT / "vigia" / "images.toml", copy / "vigia" / "images.toml")
    return copy


def plant(path: Path, old: str, new: str, times: int = 1) -> None:
    """Replace the ``times`` occurrences of ``old`` in ``path`` by ``new``."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == times, f"{old!r} must occur {times} time(s) in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_pristine_copy_passes(repo_copy: Path) -> None:
    done = run_checker(repo_copy, QUICK_STEPS)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "infra-check passed" in done.stdout


# (file under manifests/base, correct text, misspelt text, what the failure must name)
MISSPELLINGS = [
    # KServe CRD schema (unknown field rejected)
    (
        "serving/inferenceservice-forecast.yaml",
        "storageUri: gs://",
        "storageURI: gs://",
        "'storageURI' was unexpected",
    ),
    # core kind, kubernetes-validate --strict
    (
        "mlflow/mlflow.yaml",
        "readinessProbe:",
        "readinesProbe:",
        "'readinesProbe' was unexpected",
    ),
    # Prometheus Operator CRD schema
    (
        "monitoring/alerts.yaml",
        "expr: max by (model) (vigia_relative_wis) > 1",
        "expresion: max by (model) (vigia_relative_wis) > 1",
        "'expresion' was unexpected",
    ),
    # Istio CRD schema
    (
        "mesh/workload-auth.yaml",
        'principals: ["cluster.local/ns/vigia/sa/vigia-predictor"]',
        'principal: ["cluster.local/ns/vigia/sa/vigia-predictor"]',
        "'principal' was unexpected",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), MISSPELLINGS)
def test_misspelt_field_fails(
    repo_copy: Path, file: str, old: str, new: str, expected: str
) -> None:
    plant(repo_copy / "manifests" / "base" / file, old, new)
    done = run_checker(repo_copy, "render,schemas")
    assert done.returncode == 1, done.stdout
    assert "FAIL schemas" in done.stdout
    assert expected in done.stdout


def test_root_container_fails_pod_security_and_checkov(repo_copy: Path) -> None:
    mlflow = repo_copy / "manifests" / "base" / "mlflow" / "mlflow.yaml"
    text = mlflow.read_text(encoding="utf-8")
    text = text.replace("runAsNonRoot: true", "runAsNonRoot: false")
    text = text.replace("runAsUser: 10001", "runAsUser: 0")
    mlflow.write_text(text, encoding="utf-8")
    done = run_checker(repo_copy, "render,pod-security,checkov-kubernetes")
    assert done.returncode == 1, done.stdout
    assert "Deployment/vigia/mlflow container mlflow: runAsNonRoot is not true" in done.stdout
    assert "Deployment/vigia/mlflow container mlflow: runAsUser is 0 (root)" in done.stdout
    checkov_part = done.stdout.split("checkov-kubernetes", 1)[1]
    assert done.stdout.count("FAIL checkov-kubernetes") == 1
    assert "Deployment.vigia.mlflow" in checkov_part


def test_root_predictor_fails_although_checkov_cannot_read_kserve(repo_copy: Path) -> None:
    runtime = repo_copy / "manifests" / "base" / "serving" / "servingruntime.yaml"
    plant(runtime, "runAsUser: 10001", "runAsUser: 0", times=2)  # the HTTP and gRPC runtimes
    done = run_checker(repo_copy, "render,pod-security")
    assert done.returncode == 1, done.stdout
    assert "InferenceService/vigia/dengue-forecast.predictor container kserve-container: " in (
        done.stdout
    )
    assert "runAsUser is 0 (root)" in done.stdout
    assert "InferenceService/vigia/dengue-forecast-grpc.predictor container" in done.stdout


# (file under terraform/, correct text, planted defect, what the failure must name)
TERRAFORM_DEFECTS = [
    (
        "modules/storage/variables.tf",
        """variable "bucket_prefix" {
  type        = string
""",
        """variable "bucket_prefix" {
""",
        "variable bucket_prefix has no type",
    ),
    (
        "modules/gke/versions.tf",
        'version = ">= 6.10, < 8.0"',
        'version = ">= 6.10"',
        "provider google '>= 6.10' not bounded",
    ),
    (
        "modules/storage/main.tf",
        'resource "google_storage_bucket" "artifacts" {',
        'provider "google" {\n  project = "x"\n}\n\nresource "google_storage_bucket" "artifacts" {',
        "provider block inside a module",
    ),
]


@pytest.mark.parametrize(("file", "old", "new", "expected"), TERRAFORM_DEFECTS)
def test_terraform_defect_fails(
    repo_copy: Path, file: str, old: str, new: str, expected: str
) -> None:
    plant(repo_copy / "terraform" / file, old, new)
    done = run_checker(repo_copy, "render,terraform")
    assert done.returncode == 1, done.stdout
    assert expected in done.stdout


def test_image_tag_out_of_step_fails(repo_copy: Path) -> None:
    plant(repo_copy / "vigia" / "images.toml", 'tag = "', 'tag = "9.9.9-')
    done = run_checker(repo_copy, "render,image-pins")
    assert done.returncode == 1, done.stdout
    assert "images.toml says" in done.stdout
    assert "is not a vigia/images.toml cluster image" in done.stdout


# (runtime text, planted defect, what the failure must name): KServe in Serverless mode routes
# one port per revision, named h2c for gRPC.
PORT_DEFECTS = [
    (
        "- name: h2c  # HTTP/2 cleartext",
        "- name: grpc  # HTTP/2 cleartext",
        "ServingRuntime/vigia/vigia-predictor-grpc: port 8081 is named 'grpc'; a gRPC (grpc-v2) "
        "runtime must name it 'h2c'",
    ),
    (
        "        - name: http1\n          containerPort: 8080\n          protocol: TCP\n",
        "        - name: http1\n          containerPort: 8080\n          protocol: TCP\n"
        "        - name: h2c\n          containerPort: 8081\n          protocol: TCP\n",
        "ServingRuntime/vigia/vigia-predictor: declares 2 container ports; Knative routes "
        "exactly one",
    ),
    (
        "          containerPort: 8081\n",
        "          containerPort: 9000\n",
        "port h2c is 9000 but the server listens on --grpc_port=8081",
    ),
]


@pytest.mark.parametrize(("old", "new", "expected"), PORT_DEFECTS)
def test_serving_port_defect_fails(repo_copy: Path, old: str, new: str, expected: str) -> None:
    plant(repo_copy / "manifests" / "base" / "serving" / "servingruntime.yaml", old, new)
    done = run_checker(repo_copy, "render,schemas,serving-ports")
    assert done.returncode == 1, done.stdout
    assert "FAIL serving-ports" in done.stdout
    assert expected in done.stdout


def test_grpc_inference_service_needs_a_grpc_runtime(repo_copy: Path) -> None:
    isvc = repo_copy / "manifests" / "base" / "serving" / "inferenceservice-forecast-grpc.yaml"
    plant(isvc, "runtime: vigia-predictor-grpc", "runtime: vigia-predictor")
    done = run_checker(repo_copy, "render,serving-ports")
    assert done.returncode == 1, done.stdout
    assert (
        "InferenceService/vigia/dengue-forecast-grpc: protocolVersion grpc-v2 is not served by "
        "runtime vigia-predictor (v1, v2)"
    ) in done.stdout
