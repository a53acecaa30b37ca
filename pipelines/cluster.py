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
