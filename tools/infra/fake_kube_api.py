"""A small real HTTP server speaking the part of the Kubernetes API that a Vigía rollout uses,
for tests on machines without a cluster (``tests/infra/test_rollout_api.py``).

It serves ``serving.kserve.io/v1beta1`` InferenceServices: ``GET`` (one, or a list with a
``labelSelector``) and ``PATCH`` with ``application/merge-patch+json`` (RFC 7386). Like the API
server it

- authenticates a bearer token (401) and authorises every call with the rules of a **Role from
  the rendered manifests** (403 naming verb, resource and namespace), so the test exercises the
  least-privilege RBAC the repository ships;
- validates every patched object against the InferenceService CRD schema shipped in
  ``tools/infra/schemas`` with unknown fields rejected (strict field validation, 422 with the
  API's ``Status`` body), and refuses other patch types (415);
- records the ``fieldManager`` of each patch in ``managedFields``;
- plays KServe's controller for the traffic status: a changed predictor spec makes a new revision;
  ``canaryTrafficPercent`` below 100 splits traffic between it and the previously rolled-out
  revision, 100 (or none) rolls it out. Revisions become ready at once unless their storageUri
  is listed in ``--never-ready`` (a canary that never comes up).

Run with the infra venv (it has jsonschema and the CRD loader)::

    .venv-infra/bin/python -m tools.infra.fake_kube_api --port 0 --token T \\
        --objects initial.yaml --role rendered-role.yaml [--never-ready gs://…/3]

It prints ``listening on http://127.0.0.1:PORT`` once ready. ``GET /_state`` (with the token)
returns every object, for assertions.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import yaml

from tools.infra import kube

GROUP, VERSION, PLURAL = "serving.kserve.io", "v1beta1", "inferenceservices"
PREFIX = f"/apis/{GROUP}/{VERSION}/namespaces/"


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def allowed(rules: list[dict[str, Any]], verb: str, resource: str, name: str | None) -> bool:
    """Whether a Role's rules grant ``verb`` on ``resource`` (optionally the one ``name``)."""
    for rule in rules:
        if GROUP not in rule.get("apiGroups", []) and "*" not in rule.get("apiGroups", []):
            continue
        if resource not in rule.get("resources", []) or verb not in rule.get("verbs", []):
            continue
        names = rule.get("resourceNames")
        if names and (name is None or name not in names):
            continue
        return True
    return False


class Cluster:
    """The objects and KServe's part of their status."""

    def __init__(self, objects: list[dict[str, Any]], never_ready: set[str]) -> None:
        self.objects = {(o["metadata"]["namespace"], o["metadata"]["name"]): o for o in objects}
        self.never_ready = never_ready
        self.revisions: dict[tuple[str, str], int] = {}
        self.lock = threading.Lock()
        for key, obj in self.objects.items():
            self.revisions[key] = 0
            self._reconcile(key, obj, spec_changed=True)
            status = obj["status"]["components"]["predictor"]
            status["previousRolledoutRevision"] = status["latestCreatedRevision"]
            self._reconcile(key, obj, spec_changed=False)

    def _reconcile(self, key: tuple[str, str], obj: dict[str, Any], spec_changed: bool) -> None:
        predictor = obj.setdefault("status", {}).setdefault("components", {})
        status = predictor.setdefault("predictor", {})
        spec = obj["spec"]["predictor"]
        if spec_changed:
            self.revisions[key] += 1
            revision = f"{key[1]}-predictor-{self.revisions[key]:05d}"
            status["latestCreatedRevision"] = revision
            if spec["model"].get("storageUri") not in self.never_ready:
                status["latestReadyRevision"] = revision
        latest, ready = status["latestCreatedRevision"], status.get("latestReadyRevision")
        previous = status.get("previousRolledoutRevision")
        percent = spec.get("canaryTrafficPercent", 100)
        if percent >= 100 and ready == latest:
            status["previousRolledoutRevision"] = latest
            traffic = [{"revisionName": latest, "percent": 100, "latestRevision": True}]
        elif percent >= 100:  # rolling out a revision that is not ready: Knative keeps the old
            traffic = [{"revisionName": previous, "percent": 100, "latestRevision": False}]
        else:
            traffic = [
                {"revisionName": latest, "percent": percent, "latestRevision": True,
                 "tag": "latest"},
                {"revisionName": previous, "percent": 100 - percent, "latestRevision": False,
                 "tag": "prev"},
            ]  # fmt: skip
        status["traffic"] = [t for t in traffic if t["revisionName"]]
        ok = "True" if ready == latest else "False"
        obj["status"]["conditions"] = [{"type": "Ready", "status": ok}]

    def patch(self, key: tuple[str, str], body: Any, manager: str) -> tuple[int, dict[str, Any]]:
        with self.lock:
            obj = self.objects.get(key)
            if obj is None:
                return 404, status_body(404, "NotFound", f'{PLURAL}.{GROUP} "{key[1]}" not found')
            patched = merge_patch({k: v for k, v in obj.items() if k != "status"}, body)
            problems = kube.validate_object({**patched, "metadata": _user_meta(patched)})
            if problems:
                return 422, status_body(422, "Invalid", "; ".join(problems))
            changed = patched["spec"]["predictor"] != obj["spec"]["predictor"]
            percent_only = changed and _without_percent(patched) == _without_percent(obj)
            patched["status"] = obj["status"]
            fields = patched["metadata"].setdefault("managedFields", [])
            if manager and manager not in [f["manager"] for f in fields]:
                fields.append({"manager": manager, "operation": "Update"})
            self.objects[key] = patched
            self._reconcile(key, patched, spec_changed=changed and not percent_only)
            return 200, patched


def _user_meta(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj["metadata"].items() if k != "managedFields"}


def _without_percent(obj: dict[str, Any]) -> dict[str, Any]:
    predictor = dict(obj["spec"]["predictor"])
    predictor.pop("canaryTrafficPercent", None)
    return predictor


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": message,
            "reason": reason, "code": code}  # fmt: skip


def make_handler(
    cluster: Cluster, token: str, role: dict[str, Any]
) -> type[BaseHTTPRequestHandler]:
    rules = role.get("rules", [])
    role_namespace = role["metadata"]["namespace"]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def _route(self, verb: str) -> tuple[str, str | None, dict[str, list[str]]] | None:
            """(namespace, name or None, query) after authentication and authorisation."""
            if self.headers.get("Authorization") != f"Bearer {token}":
                self._send(401, status_body(401, "Unauthorized", "Unauthorized"))
                return None
            url = urlparse(self.path)
            parts = url.path[len(PREFIX) :].split("/") if url.path.startswith(PREFIX) else []
            if len(parts) not in (2, 3) or parts[1] != PLURAL:
                self._send(404, status_body(404, "NotFound", f"no route {url.path}"))
                return None
            namespace, name = parts[0], (parts[2] if len(parts) == 3 else None)
            if verb == "get" and name is None:
                verb = "list"
            if namespace != role_namespace or not allowed(rules, verb, PLURAL, name):
                message = (
                    f'{PLURAL}.{GROUP} is forbidden: cannot {verb} resource "{PLURAL}" '
                    f'in API group "{GROUP}" in the namespace "{namespace}"'
                )
                self._send(403, status_body(403, "Forbidden", message))
                return None
            return namespace, name, parse_qs(url.query)

        def do_GET(self) -> None:
            if self.path == "/_state":
                if self.headers.get("Authorization") == f"Bearer {token}":
                    self._send(200, {"items": list(cluster.objects.values())})
                else:
                    self._send(401, status_body(401, "Unauthorized", "Unauthorized"))
                return
            route = self._route("get")
            if route is None:
                return
            namespace, name, query = route
            with cluster.lock:
                if name is not None:
                    obj = cluster.objects.get((namespace, name))
                    if obj is None:
                        self._send(404, status_body(404, "NotFound", f'"{name}" not found'))
                    else:
                        self._send(200, obj)
                    return
                wanted = dict(
                    s.split("=", 1) for s in query.get("labelSelector", [""])[0].split(",") if s
                )
                items = [
                    o
                    for (ns, _), o in sorted(cluster.objects.items())
                    if ns == namespace
                    and all(o["metadata"].get("labels", {}).get(k) == v for k, v in wanted.items())
                ]
            self._send(200, {"apiVersion": f"{GROUP}/{VERSION}", "kind": "InferenceServiceList",
                             "items": items})  # fmt: skip

        def do_PATCH(self) -> None:
            route = self._route("patch")
            if route is None:
                return
            namespace, name, query = route
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            kind = self.headers.get("Content-Type", "")
            if name is None or kind.split(";")[0] != "application/merge-patch+json":
                self._send(415, status_body(415, "UnsupportedMediaType", f"patch type {kind}"))
                return
            try:
                body = json.loads(raw)
            except ValueError as exc:
                self._send(400, status_body(400, "BadRequest", str(exc)))
                return
            code, answer = cluster.patch(
                (namespace, name), body, query.get("fieldManager", [""])[0]
            )
            self._send(code, answer)

    return Handler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", required=True)
    parser.add_argument("--objects", type=Path, required=True, help="InferenceServices (YAML)")
    parser.add_argument("--role", type=Path, required=True, help="the Role the caller has")
    parser.add_argument("--never-ready", action="append", default=[], metavar="STORAGE_URI")
    args = parser.parse_args(argv)
    objects = [o for o in yaml.safe_load_all(args.objects.read_text()) if o]
    role = yaml.safe_load(args.role.read_text())
    cluster = Cluster(objects, set(args.never_ready))
    server = ThreadingHTTPServer(("127.0.0.1", args.port), make_handler(cluster, args.token, role))
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
