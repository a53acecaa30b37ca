"""The KServe InferenceServices that serve a registered model, read and patched through the
Kubernetes API (the ``kubernetes`` client).

Every InferenceService serving model ``M`` carries the label ``vigia.io/model: M`` (the HTTP and
the gRPC one of the forecaster). A release changes two fields of each — ``storageUri`` (the
model store folder of a version) and ``canaryTrafficPercent`` — plus the annotations
``vigia.io/version`` and ``vigia.io/previous-version``, with a JSON merge patch under the field
manager ``vigia-rollout`` (so a ``kubectl apply --server-side`` of stale manifests meets a
conflict instead of silently serving an old version). In a pipeline pod the client uses the
pod's service account (RBAC: ``manifests/base/serving/rollout-rbac.yaml``), elsewhere the
kubeconfig.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from vigia.errors import NotFoundError, RuntimeFailure, VigiaError

GROUP, API_VERSION, PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"
MODEL_LABEL = "vigia.io/model"
VERSION_ANNOTATION = "vigia.io/version"
PREVIOUS_ANNOTATION = "vigia.io/previous-version"
FIELD_MANAGER = "vigia-rollout"


def version_uri(models_uri: str, name: str, version: int) -> str:
    """The storageUri of a version in the model store bucket: ``<models_uri>/<name>/<version>``."""
    return f"{models_uri.rstrip('/')}/{name}/{int(version)}"


def uri_version(uri: str) -> int | None:
    """The version a storageUri names (its last path segment), or None."""
    found = re.search(r"/(\d+)/?$", uri or "")
    return int(found.group(1)) if found else None


@dataclass
class ServingState:
    """What one InferenceService is told to serve and what KServe reports about it."""

    name: str
    model: str
    storage_uri: str
    version: int | None
    previous: int | None
    canary_percent: int | None
    latest_revision: str | None
    ready_revision: str | None
    rolled_out_revision: str | None
    ready: bool
    traffic: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_object(cls, obj: dict[str, Any]) -> ServingState:
        meta, spec = obj.get("metadata") or {}, (obj.get("spec") or {}).get("predictor") or {}
        status = ((obj.get("status") or {}).get("components") or {}).get("predictor") or {}
        annotations = meta.get("annotations") or {}
        uri = str((spec.get("model") or {}).get("storageUri") or "")
        previous = annotations.get(PREVIOUS_ANNOTATION)
        conditions = (obj.get("status") or {}).get("conditions") or []
        return cls(
            name=str(meta.get("name")),
            model=str((meta.get("labels") or {}).get(MODEL_LABEL, meta.get("name"))),
            storage_uri=uri,
            version=uri_version(uri),
            previous=int(previous) if previous and str(previous).isdigit() else None,
            canary_percent=spec.get("canaryTrafficPercent"),
            latest_revision=status.get("latestCreatedRevision"),
            ready_revision=status.get("latestReadyRevision"),
            rolled_out_revision=status.get("previousRolledoutRevision"),
            ready=any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
            traffic=list(status.get("traffic") or []),
        )

    @property
    def settled(self) -> bool:
        """KServe has made the latest spec a ready revision."""
        return bool(self.latest_revision) and self.latest_revision == self.ready_revision

    def describe(self) -> str:
        split = (
            ", ".join(f"{t.get('revisionName')} {t.get('percent')} %" for t in self.traffic)
            or "no traffic reported"
        )
        return f"{self.name}: version {self.version} ({split})"


def release_patch(uri: str, version: int, previous: int | None, percent: int) -> dict[str, Any]:
    """Serve ``uri`` (version ``version``) with ``percent`` % of the traffic; the rest stays on
    the revision rolled out before."""
    annotations = {VERSION_ANNOTATION: str(int(version))}
    if previous is not None:
        annotations[PREVIOUS_ANNOTATION] = str(int(previous))
    return {
        "metadata": {"annotations": annotations},
        "spec": {"predictor": {"canaryTrafficPercent": int(percent), "model": {"storageUri": uri}}},
    }


def percent_patch(percent: int) -> dict[str, Any]:
    """Move the split only (100 promotes the latest revision, 0 sends all back)."""
    return {"spec": {"predictor": {"canaryTrafficPercent": int(percent)}}}


class InferenceServices:
    """The InferenceServices of one namespace, through a ``kubernetes`` CustomObjectsApi."""

    def __init__(self, namespace: str, api: Any) -> None:
        self.namespace = namespace
        self.api = api

    @classmethod
    def connect(
        cls, namespace: str, kubeconfig: str | None = None, context: str | None = None
    ) -> InferenceServices:
        """In a pod: its service account; elsewhere the kubeconfig (``KUBECONFIG`` or
        ``~/.kube/config``, or ``kubeconfig``/``context``)."""
        from kubernetes import client, config

        try:
            if kubeconfig or context:
                raise config.ConfigException("a kubeconfig was asked for")
            config.load_incluster_config()
        except config.ConfigException:
            try:
                config.load_kube_config(config_file=kubeconfig, context=context)
            except (config.ConfigException, OSError, TypeError) as exc:
                raise VigiaError(
                    f"no Kubernetes credentials: not in a pod and no usable kubeconfig ({exc})"
                ) from None
        return cls(namespace, client.CustomObjectsApi())

    def _call(self, what: str, func: Any, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.exceptions import ApiException
        from urllib3.exceptions import HTTPError

        try:
            return func(GROUP, API_VERSION, self.namespace, PLURAL, *args, **kwargs)
        except ApiException as exc:
            failure = RuntimeFailure if (exc.status or 0) >= 500 else VigiaError  # 4xx: set-up
            raise failure(f"Kubernetes API: {what}: {exc.status} {_message(exc)}") from None
        except HTTPError as exc:
            raise RuntimeFailure(f"Kubernetes API unreachable: {what}: {exc}") from None

    def for_model(self, model: str) -> list[ServingState]:
        """The InferenceServices labelled ``vigia.io/model=<model>``, by name."""
        found = self._call(
            f"list inferenceservices of {model} in {self.namespace}",
            self.api.list_namespaced_custom_object,
            label_selector=f"{MODEL_LABEL}={model}",
        )
        items = sorted(found.get("items") or [], key=lambda o: o["metadata"]["name"])
        if not items:
            raise NotFoundError(
                f"no InferenceService labelled {MODEL_LABEL}={model} in namespace {self.namespace}"
            )
        return [ServingState.from_object(o) for o in items]

    def patch(self, name: str, body: dict[str, Any]) -> ServingState:
        obj = self._call(
            f"patch inferenceservice {name} in {self.namespace}",
            self.api.patch_namespaced_custom_object,
            name,
            body,
            field_manager=FIELD_MANAGER,
        )
        return ServingState.from_object(obj)


def _message(exc: Any) -> str:
    try:
        return str(json.loads(exc.body).get("message") or exc.reason)
    except (TypeError, ValueError, AttributeError):
        return str(exc.reason)
