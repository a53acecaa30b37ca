"""The container runner: every component in the project image through ``kfp.local.DockerRunner``.

There is no Docker engine here; podman serves a Docker-compatible API (``make images`` sets it up
and starts it). kfp 2.17's DockerRunner does not work on podman as it is: it starts containers with
``auto_remove=True``, podman deletes a fast-exiting container before kfp reads its logs and answers
HTTP 500, so tasks crash, and a failing task can be reported as SUCCESS. :func:`docker_runner`
therefore replaces kfp's ``run_docker_container`` (only when it is called, never at import) with
:func:`run_container`, which waits for the real exit code, streams the logs, removes the container
and never pulls (no registry is reachable; a missing image is a clear error).

The shim follows ``kfp_podman_patch.py`` from the project's shared container notes (measured with
podman 4.3 and kfp 2.17.0); kfp is Apache-2.0.

kfp mounts only the pipeline root into the container. The training pipeline's parameters also
name the MLflow database, the artifact root and the model store, all inside the workspace, so the
workspace is bind-mounted at the same path; any other existing absolute path among the arguments
(a panel CSV given as ``source``) is mounted read-only at the same path.
"""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from vigia.containers import SETUP_HINT, engine_client, require_image
from vigia.images import image_ref
from vigia.workspace import Workspace


def docker_runner(
    workspace: Workspace | None = None, arguments: Mapping[str, Any] | None = None
) -> Any:
    """A ``kfp.local.DockerRunner`` for podman, with the workspace mounted.

    Args:
        workspace: Mounted read-write at its own path (default: ``Workspace.from_env()``).
        arguments: Pipeline arguments; existing absolute paths outside the workspace are
            mounted read-only at their own path.

    Raises:
        VigiaError: No container engine answers, or the project image is not built.
    """
    import kfp.local
    from docker.types import Mount

    ws = workspace or Workspace.from_env()
    require_image(engine_client(), image_ref("project", "local"))
    _install_shim()
    mounts = [Mount(target=str(ws.root), source=str(ws.root), type="bind")]
    mounts += [
        Mount(target=str(path), source=str(path), type="bind", read_only=True)
        for path in _outside_paths(arguments or {}, ws.root)
    ]
    return kfp.local.DockerRunner(mounts=mounts)


def run_container(
    client: Any, image: str, command: list[str], volumes: dict[str, Any], **run_args: Any
) -> int:
    """Run one task's container to completion and return its exit code (kfp's hook).

    Streams the container's output to stdout (where ``vigia.pipelines.local`` logs it), then
    removes the container. Never pulls.
    """
    import docker

    if ":" not in image.rsplit("/", 1)[-1]:
        image = f"{image}:latest"
    try:
        client.images.get(image)
    except docker.errors.ImageNotFound:
        raise RuntimeError(
            f"image {image!r} is not in local storage and will not be pulled; {SETUP_HINT}"
        ) from None
    print(f"Found image {image!r}\n")
    run_args.pop("auto_remove", None)
    volumes = _without_nested(volumes, run_args.get("mounts") or [])
    container = client.containers.run(
        image=image, command=command, detach=True, stdout=True, stderr=True,
        volumes=volumes, auto_remove=False, **run_args,
    )  # fmt: skip
    try:
        for chunk in container.logs(stream=True, follow=True):
            print(chunk.decode(errors="replace"), end="")
        return int(container.wait()["StatusCode"])
    finally:
        container.remove(force=True)


def _install_shim() -> None:
    from kfp.local import docker_task_handler

    docker_task_handler.run_docker_container = run_container


def _outside_paths(arguments: Mapping[str, Any], root: Path) -> list[Path]:
    """Existing absolute paths among the string arguments that are not under ``root``."""
    found = []
    for value in arguments.values():
        if not isinstance(value, str) or not os.path.isabs(value):
            continue
        path = Path(value).resolve()
        if path.exists() and not path.is_relative_to(root) and path not in found:
            found.append(path)
    return found


def _without_nested(volumes: dict[str, Any], mounts: list[Any]) -> dict[str, Any]:
    """kfp's volumes minus those already inside one of our bind mounts (the pipeline root lies in
    the workspace; mounting it twice at nested paths is redundant)."""
    roots = [Path(m["Source"]) for m in mounts if m["Source"] == m["Target"]]
    return {
        host: spec
        for host, spec in volumes.items()
        if not (spec["bind"] == host and any(Path(host).is_relative_to(r) for r in roots))
    }
