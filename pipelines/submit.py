"""Submit compiled pipelines to a Kubeflow Pipelines API server with token auth."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError


def kfp_client(host: str, token_env: str = "KFP_TOKEN") -> Any:
    """A ``kfp.Client`` for ``host`` authenticated with the bearer token in ``$token_env``."""
    import kfp

    token = os.environ.get(token_env)
    if not token:
        raise VigiaError(f"no token: set {token_env} to a bearer token for {host}")
    return kfp.Client(host=host, existing_token=token)


def submit_run(
    name: str, host: str, params: dict[str, Any], experiment: str, token_env: str = "KFP_TOKEN"
) -> str:
    """Compile pipeline ``name`` with the cluster image and start a run; returns its id."""
    from vigia.pipelines.compile import compile_all

    missing = [p for p in ("tracking_uri", "store_root", "gate_config") if p not in params]
    if missing:
        raise VigiaError(f"missing --param {missing[0]}=... for a cluster run")
    client = kfp_client(host, token_env)
    with tempfile.TemporaryDirectory() as tmp:
        package = Path(compile_all(tmp)[0]).parent / f"{name}.yaml"
        result = client.create_run_from_pipeline_package(
            str(package), arguments=params, experiment_name=experiment
        )
    return str(result.run_id)
