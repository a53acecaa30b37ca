"""Kubernetes checks: render the kustomize overlays, validate every object against its schema
(core kinds: kubernetes-validate, strict; custom kinds: their CRD's openAPIV3Schema with unknown
fields rejected) and enforce restricted pod security on every pod template, including the ones
inside KServe objects that checkov does not read."""

from __future__ import annotations

import gzip
import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

SCHEMAS = Path(__file__).parent / "schemas"
KUBERNETES_VERSION = "1.34"  # the GKE version pinned in terraform/modules/gke (minor)

# Fields of ObjectMeta a manifest may set (the API server rejects others in strict mode).
OBJECT_META_FIELDS = {
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
}
TYPE_AND_META = {
    "apiVersion": {"type": "string"},
    "kind": {"type": "string"},
    "metadata": {"type": "object"},
}


def render(overlay: Path, kubectl: str) -> list[dict[str, Any]]:
    """Objects of ``kubectl kustomize overlay`` (raises RuntimeError with kustomize's message)."""
    done = subprocess.run(
        [kubectl, "kustomize", str(overlay)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip() or f"kustomize failed on {overlay}")
    return [doc for doc in yaml.load_all(done.stdout, Loader=yaml.CSafeLoader) if doc]


def object_name(obj: dict[str, Any]) -> str:
    """``Kind/namespace/name`` for messages."""
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace', '-')}/{meta.get('name')}"


@cache
def crd_validators() -> dict[tuple[str, str], jsonschema.Draft7Validator]:
    """(apiVersion, kind) → validator of the strict schema, from every CRD under ``schemas/``."""
    found: dict[tuple[str, str], jsonschema.Draft7Validator] = {}
    for path in sorted(SCHEMAS.glob("*/*.yaml.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            crd = yaml.load(handle, Loader=yaml.CSafeLoader)
        group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
        for version in crd["spec"]["versions"]:
            if version.get("served", True):
                schema = strict_schema(version["schema"]["openAPIV3Schema"])
                # Some CRDs (Istio) describe only spec/status; every object has these three.
                schema.setdefault("properties", {}).update(TYPE_AND_META)
                found[(f"{group}/{version['name']}", kind)] = jsonschema.Draft7Validator(schema)
    return found


def strict_schema(schema: Any) -> Any:
    """An OpenAPI v3 structural schema as JSON Schema that, like the API server's strict field
    validation, rejects unknown fields: ``additionalProperties: false`` wherever ``properties``
    are listed, unless ``x-kubernetes-preserve-unknown-fields``; ``nullable`` allows null."""
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: strict_schema(value) for key, value in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    if out.get("nullable") and isinstance(out.get("type"), str):
        out["type"] = [out["type"], "null"]
    return out


def validate_object(obj: dict[str, Any]) -> list[str]:
    """Schema problems of one object (empty when valid)."""
    name = object_name(obj)
    unknown_meta = sorted(set(obj.get("metadata") or {}) - OBJECT_META_FIELDS)
    if unknown_meta:
        return [f"{name}: unknown metadata field(s) {', '.join(unknown_meta)}"]
    key = (obj.get("apiVersion", ""), obj.get("kind", ""))
    validator = crd_validators().get(key)
    if validator is not None:
        body = {**obj, "metadata": {}}  # metadata checked above; CRD schemas say only "object"
        return [
            f"{name}: {'.'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
            for error in sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        ]
    try:
        core_schema_cache()
        kubernetes_validate.validate(obj, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return [f"{name}: no schema for {key[0]} {key[1]} (core kind or a CRD in {SCHEMAS})"]
    except kubernetes_validate.ValidationError as error:
        where = ".".join(str(p) for p in error.path) or "(top)"
        return [f"{name}: {where}: {error.message}"]
    return []


@cache
def core_schema_cache() -> None:
    """kubernetes-validate re-reads its JSON schema files (megabytes) for every object; memoise
    its file reader once per process so that 70 objects take a second, not twenty."""
    utils = kubernetes_validate.utils
    utils.schema_contents = cache(utils.schema_contents)  # type: ignore[assignment]


# ---------------------------------------------------------------------------------------------
# Restricted pod security, resources


def pod_specs(
    obj: dict[str, Any], runtimes: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """(where, pod-level spec, containers) of every pod an object will create. For an
    InferenceService the containers are its ServingRuntime's, overlaid with the model's
    container fields, as KServe merges them."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    name = object_name(obj)
    if kind in {"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"}:
        pod = spec.get("template", {}).get("spec", {})
        yield name, pod, pod.get("containers", []) + pod.get("initContainers", [])
    elif kind == "CronJob":
        pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
        yield name, pod, pod.get("containers", []) + pod.get("initContainers", [])
    elif kind == "Pod":
        yield name, spec, spec.get("containers", []) + spec.get("initContainers", [])
    elif kind == "InferenceService":
        for component in ("predictor", "transformer", "explainer"):
            pod = spec.get(component)
            if not pod:
                continue
            containers = list(pod.get("containers", []))
            model = pod.get("model")
            if model:
                runtime = runtimes.get(model.get("runtime", ""))
                if runtime is None:
                    yield f"{name}.{component}", {"missing runtime": model.get("runtime")}, []
                    continue
                containers.append(merge_model_container(runtime["spec"]["containers"][0], model))
            yield f"{name}.{component}", pod, containers


# Fields of an InferenceService's `model` that describe the model, not its container.
MODEL_FIELDS = {
    "modelFormat",
    "runtime",
    "runtimeVersion",
    "storageUri",
    "storage",
    "protocolVersion",
    "name",
}


def merge_model_container(base: dict[str, Any], model: dict[str, Any]) -> dict[str, Any]:
    """The container KServe runs: the runtime's container with the model's container fields
    on top (securityContext merged field by field)."""
    merged = {**base, **{k: v for k, v in model.items() if k not in MODEL_FIELDS}}
    if "securityContext" in model:
        merged["securityContext"] = {**base.get("securityContext", {}), **model["securityContext"]}
    return merged


def pod_security_problems(objects: list[dict[str, Any]]) -> list[str]:
    """Breaches of the restricted Pod Security Standard (plus read-only root filesystem and
    resource requests/limits) in every pod the objects create."""
    runtimes = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "ServingRuntime"}
    problems: list[str] = []
    for where, pod, containers in pod_specs_all(objects, runtimes):
        if "missing runtime" in pod:
            problems.append(f"{where}: ServingRuntime {pod['missing runtime']!r} not rendered")
            continue
        pod_ctx = pod.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if pod.get(flag):
                problems.append(f"{where}: {flag} is true")
        if not containers:
            problems.append(f"{where}: no containers")
        for container in containers:
            problems += container_problems(
                f"{where} container {container.get('name')}", container, pod_ctx
            )
    return problems


def pod_specs_all(
    objects: list[dict[str, Any]], runtimes: dict[str, dict[str, Any]]
) -> Iterator[tuple[str, dict[str, Any], list[dict[str, Any]]]]:
    """:func:`pod_specs` of every object, plus ServingRuntime containers on their own."""
    for obj in objects:
        yield from pod_specs(obj, runtimes)
        if obj.get("kind") == "ServingRuntime":
            yield object_name(obj), {}, obj["spec"].get("containers", [])


def container_problems(where: str, container: dict[str, Any], pod_ctx: dict[str, Any]) -> list[str]:
    """Restricted-profile breaches of one container (pod-level settings count where Kubernetes
    lets them apply to the container)."""
    ctx = container.get("securityContext") or {}
    problems = []

    def effective(key: str) -> Any:
        return ctx.get(key, pod_ctx.get(key))

    if effective("runAsNonRoot") is not True:
        problems.append("runAsNonRoot is not true")
    if effective("runAsUser") == 0:
        problems.append("runAsUser is 0 (root)")
    if ctx.get("allowPrivilegeEscalation") is not False:
        problems.append("allowPrivilegeEscalation is not false")
    if ctx.get("readOnlyRootFilesystem") is not True:
        problems.append("readOnlyRootFilesystem is not true")
    if ctx.get("privileged"):
        problems.append("privileged")
    if "ALL" not in ((ctx.get("capabilities") or {}).get("drop") or []):
        problems.append("capabilities.drop lacks ALL")
    if (ctx.get("capabilities") or {}).get("add"):
        problems.append("capabilities.add is not empty")
    seccomp = (effective("seccompProfile") or {}).get("type")
    if seccomp not in {"RuntimeDefault", "Localhost"}:
        problems.append("seccompProfile is not RuntimeDefault")
    resources = container.get("resources") or {}
    for part in ("requests", "limits"):
        for item in ("cpu", "memory"):
            if item not in (resources.get(part) or {}):
                problems.append(f"no {part}.{item}")
    return [f"{where}: {p}" for p in problems]


# ---------------------------------------------------------------------------------------------
# Serving ports (KServe on Knative: one routed port per revision)

PORT_FLAGS = {"http1": "--http_port", "h2c": "--grpc_port"}
PROBE_ACTIONS = {"httpGet", "tcpSocket", "grpc"}


def _arg_value(args: list[str], flag: str) -> str | None:
    for arg in args:
        if arg.startswith(f"{flag}="):
            return arg.split("=", 1)[1]
    return None


def runtime_port_problems(runtime: dict[str, Any]) -> list[str]:
    """How a ServingRuntime exposes its server, as KServe in Serverless mode expects: exactly
    one container port (Knative routes one), named ``h2c`` (HTTP/2 cleartext) for a gRPC
    runtime (``grpc-v2``) and ``http1`` otherwise, equal to the server's own port flag, and
    probes on that port."""
    name = object_name(runtime)
    spec = runtime.get("spec") or {}
    container = (spec.get("containers") or [{}])[0]
    ports = container.get("ports") or []
    if len(ports) != 1:
        return [f"{name}: declares {len(ports)} container ports; Knative routes exactly one"]
    port = ports[0]
    problems = []
    grpc = "grpc-v2" in (spec.get("protocolVersions") or [])
    wanted = "h2c" if grpc else "http1"
    if port.get("name") != wanted:
        problems.append(
            f"{name}: port {port.get('containerPort')} is named {port.get('name')!r}; a "
            f"{'gRPC (grpc-v2)' if grpc else 'HTTP'} runtime must name it {wanted!r}"
        )
    if grpc and len(spec.get("protocolVersions") or []) > 1:
        problems.append(f"{name}: a gRPC runtime lists HTTP protocols too; it exposes only h2c")
    flag = PORT_FLAGS.get(str(port.get("name")))
    value = _arg_value(container.get("args") or [], flag) if flag else None
    if flag and value != str(port.get("containerPort")):
        problems.append(
            f"{name}: port {port.get('name')} is {port.get('containerPort')} but the server "
            f"listens on {flag}={value}"
        )
    for probe in ("readinessProbe", "livenessProbe"):
        action = next(
            (v for k, v in (container.get(probe) or {}).items() if k in PROBE_ACTIONS), None
        )
        if action is not None and action.get("port") not in (None, port.get("containerPort")):
            problems.append(
                f"{name}: {probe} probes port {action.get('port')}, not the exposed "
                f"{port.get('containerPort')}"
            )
    return problems


def serving_port_problems(objects: list[dict[str, Any]]) -> list[str]:
    """:func:`runtime_port_problems` of every ServingRuntime, and every InferenceService's
    ``protocolVersion`` against the runtime it names."""
    runtimes = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "ServingRuntime"}
    problems = [p for runtime in runtimes.values() for p in runtime_port_problems(runtime)]
    for obj in objects:
        if obj.get("kind") != "InferenceService":
            continue
        model = ((obj.get("spec") or {}).get("predictor") or {}).get("model") or {}
        runtime = runtimes.get(str(model.get("runtime")))
        if runtime is None:
            continue
        protocol = model.get("protocolVersion", "v1")
        offered = (runtime.get("spec") or {}).get("protocolVersions") or []
        if protocol not in offered:
            problems.append(
                f"{object_name(obj)}: protocolVersion {protocol} is not served by runtime "
                f"{model.get('runtime')} ({', '.join(offered)})"
            )
    return problems
