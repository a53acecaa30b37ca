"""What a pipeline needs on the Kubeflow cluster and nowhere else.

The bucket mounts are Kubernetes platform settings (kfp-kubernetes): they go into the compiled
YAML and ``kfp.local`` ignores them, so one pipeline definition serves both. The claims, the
service account and the MLflow address are the ones in ``manifests/base`` (docs/deploy.md).
"""

# (no `from __future__ import annotations`: this module is imported by pipeline definitions)

from typing import Any

from kfp import kubernetes

RUNNER_SERVICE_ACCOUNT = "vigia-pipeline-runner"
TRACKING_URI = "http://mlflow.vigia.svc.cluster.local:5000"
PUSHGATEWAY_URL = "http://prometheus-pushgateway.monitoring.svc.cluster.local:9091"
KFP_API_URL = "http://ml-pipeline.kubeflow.svc.cluster.local:8888"  # from inside the cluster
PROMETHEUS_URL = "http://kube-prometheus-stack-prometheus.monitoring.svc.cluster.local:9090"
SERVING_NAMESPACE = "vigia"  # the InferenceServices (manifests/base/serving)
MODEL_STORE_CLAIM = "vigia-model-store"
MODEL_STORE_PATH = "/mnt/store"
PAYLOADS_CLAIM = "vigia-payloads"
PAYLOADS_PATH = "/mnt/payloads"

# Pipeline parameters that have one right value on the cluster; submit/schedule fill them in
# when the caller does not.
CLUSTER_PARAMETERS = {
    "tracking_uri": TRACKING_URI,
    "store_root": MODEL_STORE_PATH,
    "payload_root": PAYLOADS_PATH,
    "pushgateway_url": PUSHGATEWAY_URL,
    "kfp_host": KFP_API_URL,
    "serving_namespace": SERVING_NAMESPACE,
    "prometheus_url": PROMETHEUS_URL,
}


def _mount_bucket(task: Any, claim: str, path: str) -> Any:
    """Mount a Cloud Storage FUSE claim into ``task``'s pod (GKE injects the FUSE sidecar when
    the pod carries the ``gke-gcsfuse/volumes`` annotation)."""
    kubernetes.mount_pvc(task, pvc_name=claim, mount_path=path)
    kubernetes.add_pod_annotation(task, "gke-gcsfuse/volumes", "true")
    return task


def mount_model_store(task: Any) -> Any:
    """Give ``task`` the model store bucket at :data:`MODEL_STORE_PATH` (read-write)."""
    return _mount_bucket(task, MODEL_STORE_CLAIM, MODEL_STORE_PATH)


def mount_payloads(task: Any) -> Any:
    """Give ``task`` the serving payload log at :data:`PAYLOADS_PATH` (read-only)."""
    return _mount_bucket(task, PAYLOADS_CLAIM, PAYLOADS_PATH)


# --- every task: display name, caching, resources, retries ---------------------------------------
# (CPU request, CPU limit, memory request, memory limit) per component, from peak RSS and CPU
# time measured in local runs: the memory limit is about twice the peak measured on the Peru
# panel, the request about the peak; a step whose CPU time was close to its wall time gets a
# full core. (The backtest took the old evaluate step's size when the gate was split off; the
# gate only reads scores and the registry. Each backtest shard keeps that size; the plan and the
# merge fit no model.)
TASK_RESOURCES: dict[str, tuple[str, str, str, str]] = {
    "fingerprint": ("100m", "500m", "256Mi", "512Mi"),
    "ingest": ("500m", "1", "1Gi", "2Gi"),
    "features": ("500m", "1", "1Gi", "2Gi"),
    "train": ("1", "2", "2Gi", "4Gi"),
    "backtest_plan": ("250m", "1", "1Gi", "2Gi"),
    "backtest_shard": ("1", "2", "2Gi", "4Gi"),
    "backtest_merge": ("250m", "1", "1Gi", "2Gi"),
    "evaluate": ("250m", "1", "1Gi", "2Gi"),
    "register": ("250m", "1", "1Gi", "2Gi"),
    "push": ("250m", "1", "1Gi", "2Gi"),
    "promote": ("100m", "500m", "512Mi", "1Gi"),
    "dashboard": ("250m", "1", "1Gi", "2Gi"),
    "risk_ingest": ("500m", "1", "1Gi", "2Gi"),
    "risk_eda": ("250m", "1", "1Gi", "2Gi"),
    "risk_split": ("250m", "1", "1Gi", "2Gi"),
    "risk_train": ("1", "2", "2Gi", "4Gi"),
    "risk_evaluate": ("500m", "1", "1Gi", "2Gi"),
    "risk_register": ("250m", "1", "1Gi", "2Gi"),
    "monitor_collect": ("500m", "1", "1Gi", "2Gi"),
    "monitor_drift": ("500m", "1", "2Gi", "4Gi"),
    "monitor_performance": ("250m", "1", "1Gi", "2Gi"),
    "monitor_decide": ("250m", "1", "1Gi", "2Gi"),
    "monitor_retrain": ("100m", "500m", "512Mi", "1Gi"),
}
DEFAULT_RESOURCES = ("500m", "1", "1Gi", "2Gi")  # a new component until it is measured
# Transient failures (node preemption, a storage or API hiccup): 2 more tries, 30 s then 60 s
# apart. Steps that write (register, push, promote) are safe to repeat: see docs/deploy.md.
RETRIES = {"num_retries": 2, "backoff_duration": "30s", "backoff_factor": 2.0,
           "backoff_max_duration": "600s"}  # fmt: skip


def component_key(task: Any) -> str:
    """The component's function name (``monitor-collect`` → ``monitor_collect``)."""
    return str(task.component_spec.name).replace("-", "_")


def step(task: Any, display_name: str, cache: bool = True) -> Any:
    """What every task of every pipeline gets: its display name, caching (off for steps that
    are not pure in their inputs), CPU and memory requests and limits, and retries."""
    task.set_display_name(display_name)
    task.set_caching_options(cache)
    cpu, cpu_limit, memory, memory_limit = TASK_RESOURCES.get(
        component_key(task), DEFAULT_RESOURCES
    )
    task.set_cpu_request(cpu).set_cpu_limit(cpu_limit)
    task.set_memory_request(memory).set_memory_limit(memory_limit)
    task.set_retry(**RETRIES)
    return task
