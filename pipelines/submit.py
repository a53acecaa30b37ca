"""Submit and schedule pipelines on a Kubeflow Pipelines API server, with bearer-token auth.

Every pipeline of :func:`vigia.pipelines.compile.pipeline_factories` is compiled with the
cluster image of ``vigia/images.toml`` and started under the least-privilege service account of
``manifests/base/pipelines``. Parameters with one right value on the cluster (MLflow address,
mount paths) are filled in unless given.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from vigia.errors import RuntimeFailure, VigiaError
from vigia.pipelines.cluster import CLUSTER_PARAMETERS, RUNNER_SERVICE_ACCOUNT

# KFP recurring runs take 6-field cron: second minute hour day-of-month month day-of-week.
DEFAULT_SCHEDULES = {
    "monitoring": "0 0 6 * * 1",  # weekly, Monday 06:00 (after the week's case counts arrive)
    "training": "0 0 5 1 * *",  # monthly, the 1st at 05:00 (retraining; the gate still decides)
}
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
WEEKDAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRON_FIELDS: tuple[tuple[str, int, int, dict[str, int]], ...] = (
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i for i, m in enumerate(MONTHS, start=1)}),
    ("day of week", 0, 6, {d: i for i, d in enumerate(WEEKDAYS)}),
)
KFP_TOKEN_PATH = "/var/run/secrets/kubeflow/pipelines/token"  # Kubeflow's projected token
POD_TOKEN_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token"
CRON_ITEM = re.compile(r"^(\*|\?|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:/([0-9]+))?$")


def validate_cron(expression: str) -> str:
    """``expression`` if it is a valid 6-field cron (KFP's format), else a VigiaError that names
    the bad field."""
    fields = expression.split()
    if len(fields) != 6:
        raise VigiaError(
            f"cron {expression!r} has {len(fields)} fields; KFP needs 6: "
            "second minute hour day-of-month month day-of-week (e.g. '0 0 6 * * 1')"
        )
    for value, (name, low, high, names) in zip(fields, CRON_FIELDS, strict=True):
        for item in value.split(","):
            match = CRON_ITEM.match(item)
            if not match:
                raise VigiaError(f"cron {expression!r}: bad {name} {item!r}")
            span, step = match.groups()
            if step is not None and int(step) == 0:
                raise VigiaError(f"cron {expression!r}: {name} step must be at least 1")
            if span in ("*", "?"):
                if span == "?" and name not in ("day of month", "day of week"):
                    raise VigiaError(f"cron {expression!r}: '?' only for day of month/week")
                continue
            for bound in span.split("-"):
                number = names.get(bound.upper(), int(bound) if bound.isdigit() else None)
                if number is None or not low <= number <= high:
                    raise VigiaError(
                        f"cron {expression!r}: {name} {bound!r} is not in {low}-{high}"
                    )
    return expression


def kfp_client(host: str, token_env: str = "KFP_TOKEN") -> Any:
    """A ``kfp.Client`` for ``host`` authenticated with the bearer token in ``$token_env`` or,
    inside a pipeline pod (the monitoring pipeline's retraining), the pod's service-account
    token (:func:`service_account_token`)."""
    import kfp

    if not re.match(r"^https?://[^/\s]+", host):
        raise VigiaError(f"--host {host!r}: expected the KFP API URL, e.g. https://kfp.example.org")
    token = os.environ.get(token_env) or service_account_token()
    if not token:
        raise VigiaError(f"no token: set {token_env} to a bearer token for {host}")
    with kfp_errors(host), warnings.catch_warnings():
        warnings.filterwarnings("ignore", "This client only works with", FutureWarning)
        return kfp.Client(host=host, existing_token=token)


def service_account_token() -> str:
    """Inside a pod: the token Kubeflow projects for its API, else the pod's Kubernetes service
    account token (standalone KFP does not check it; a proxy in front of KFP would). Empty
    elsewhere."""
    candidates = [os.environ.get("KF_PIPELINES_SA_TOKEN_PATH", KFP_TOKEN_PATH), POD_TOKEN_PATH]
    for path in map(Path, candidates):
        if path.is_file():
            return path.read_text(encoding="utf-8").strip()
    return ""


@contextmanager
def kfp_errors(host: str) -> Iterator[None]:
    """Turn the KFP API's refusals and network failures into one readable VigiaError."""
    from kfp_server_api.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        yield
    except ApiException as error:
        detail = (error.body or "").strip().replace("\n", " ")[:200]
        failure = RuntimeFailure if (error.status or 0) >= 500 else VigiaError  # 4xx: set-up
        raise failure(
            f"KFP API at {host} answered {error.status} {error.reason}: {detail}"
        ) from None
    except (HTTPError, OSError, TimeoutError) as error:
        raise RuntimeFailure(f"cannot reach the KFP API at {host}: {error}") from None


def compile_pipeline(name: str, out_dir: Path) -> Path:
    """Compile the pipelines with the cluster image into ``out_dir``; returns ``name``'s YAML."""
    from vigia.pipelines.compile import compile_all

    packages = {path.stem: path for path in compile_all(out_dir)}
    if name not in packages:
        raise VigiaError(f"unknown pipeline {name!r}; pipelines: {', '.join(sorted(packages))}")
    return packages[name]


def pipeline_parameters(package: Path) -> dict[str, bool]:
    """Parameter name → whether it has a default, read from a compiled pipeline."""
    spec = next(d for d in yaml.safe_load_all(package.read_text(encoding="utf-8")) if d)
    declared = spec.get("root", {}).get("inputDefinitions", {}).get("parameters", {})
    return {name: bool(p.get("isOptional")) or "defaultValue" in p for name, p in declared.items()}


def resolve_parameters(
    package: Path, params: dict[str, Any], defaults: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``params`` completed with the cluster defaults the pipeline declares; unknown or missing
    required parameters are a VigiaError naming them."""
    declared = pipeline_parameters(package)
    unknown = sorted(set(params) - set(declared))
    if unknown:
        raise VigiaError(
            f"{package.stem} has no parameter {', '.join(unknown)}; "
            f"it takes: {', '.join(sorted(declared))}"
        )
    filled = {
        key: value
        for key, value in {**CLUSTER_PARAMETERS, **(defaults or {})}.items()
        if key in declared
    }
    resolved = {**filled, **params}
    missing = sorted(p for p, optional in declared.items() if not optional and p not in resolved)
    if missing:
        raise VigiaError(f"{package.stem} needs --param {missing[0]}=... (missing: {missing})")
    return resolved


def submit_run(
    name: str,
    host: str,
    params: dict[str, Any],
    experiment: str,
    token_env: str = "KFP_TOKEN",
    defaults: dict[str, Any] | None = None,
) -> str:
    """Compile pipeline ``name`` with the cluster image and start one run; returns its id."""
    with tempfile.TemporaryDirectory() as tmp:
        package = compile_pipeline(name, Path(tmp))
        arguments = resolve_parameters(package, params, defaults)
        client = kfp_client(host, token_env)
        with kfp_errors(host):
            result = client.create_run_from_pipeline_package(
                str(package),
                arguments=arguments,
                experiment_name=experiment,
                service_account=RUNNER_SERVICE_ACCOUNT,
            )
    return str(result.run_id)


def schedule_run(
    name: str,
    host: str,
    cron: str | None,
    params: dict[str, Any],
    experiment: str,
    token_env: str = "KFP_TOKEN",
    defaults: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Create a KFP recurring run of pipeline ``name`` (``cron``, or its default schedule);
    returns (recurring run id, cron). Refuses to create a second schedule of the same name."""
    if cron:
        validate_cron(cron)
    job_name = f"vigia-{name}"
    with tempfile.TemporaryDirectory() as tmp:
        package = compile_pipeline(name, Path(tmp))
        if not cron and name not in DEFAULT_SCHEDULES:
            raise VigiaError(f"{name} has no default schedule; give --cron (6 fields)")
        cron = validate_cron(cron or DEFAULT_SCHEDULES[name])
        arguments = resolve_parameters(package, params, defaults)
        client = kfp_client(host, token_env)
        with kfp_errors(host):
            experiment_id = client.create_experiment(experiment).experiment_id
            existing = client.list_recurring_runs(experiment_id=experiment_id, page_size=100)
            for job in existing.recurring_runs or []:
                if job.display_name == job_name:
                    raise VigiaError(
                        f"{job_name} is already scheduled (recurring run {job.recurring_run_id}); "
                        "delete it in the KFP UI or API first"
                    )
            job = client.create_recurring_run(
                experiment_id=experiment_id,
                job_name=job_name,
                description=f"Vigía {name} pipeline, cron {cron}",
                cron_expression=cron,
                max_concurrency=1,
                no_catchup=True,
                params=arguments,
                pipeline_package_path=str(package),
                service_account=RUNNER_SERVICE_ACCOUNT,
            )
    return str(job.recurring_run_id), cron
