"""No usage telemetry leaves the machine: MLflow's (on by default in MLflow 3) is off in every
process that imports vigia."""

from __future__ import annotations

import os
import subprocess
import sys

# Where MLflow turns its telemetry off by itself (mlflow.telemetry.utils): under pytest and in CI.
# The check runs without them, as a user's `vigia` command does.
MLFLOW_OFF_BY_ITSELF = (
    "PYTEST_CURRENT_TEST", "CI", "GITHUB_ACTIONS", "CIRCLECI", "GITLAB_CI", "JENKINS_URL",
    "TRAVIS", "TF_BUILD", "BITBUCKET_BUILD_NUMBER", "CODEBUILD_BUILD_ARN", "BUILDKITE",
    "TEAMCITY_VERSION", "CLOUD_RUN_EXECUTION", "MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK",
)  # fmt: skip


def test_mlflow_telemetry_is_off_where_vigia_is_imported() -> None:
    env = {k: v for k, v in os.environ.items() if k not in MLFLOW_OFF_BY_ITSELF}
    code = (
        "import vigia, mlflow\n"
        "from mlflow.telemetry.client import get_telemetry_client\n"
        "print(get_telemetry_client())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "None", done.stdout
