"""The local container engine: podman's Docker-compatible API (or a Docker engine), reached with
the ``docker`` SDK. Used by the container pipeline runner and ``vigia serve --container``.

``make images`` sets podman up, starts its API socket and builds the images (docs/containers.md).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError

# Where podman serves its Docker-compatible API: rootful, then rootless. Used when DOCKER_HOST is
# unset and there is no Docker socket.
PODMAN_SOCKETS = (
    Path("/run/podman/podman.sock"),
    *([Path(os.environ["XDG_RUNTIME_DIR"]) / "podman" / "podman.sock"]
      if os.environ.get("XDG_RUNTIME_DIR") else []),
)  # fmt: skip
DOCKER_SOCKET = Path("/var/run/docker.sock")
SETUP_HINT = "run `make images` (sets up podman, starts its API, builds the images)"


def engine_client() -> Any:
    """A ``docker.DockerClient`` for the local engine, checked with a ping.

    Points ``DOCKER_HOST`` at podman's socket when nothing else is configured (kfp's
    DockerRunner creates its own client from the environment).

    Raises:
        VigiaError: No engine answers.
    """
    import docker

    if "DOCKER_HOST" not in os.environ and not DOCKER_SOCKET.exists():
        for socket in PODMAN_SOCKETS:
            if socket.exists():
                os.environ["DOCKER_HOST"] = f"unix://{socket}"
                break
    try:
        client = docker.from_env()
        client.ping()
    except docker.errors.DockerException as exc:
        where = os.environ.get("DOCKER_HOST", f"unix://{DOCKER_SOCKET}")
        raise VigiaError(f"no container engine answers at {where} ({exc}); {SETUP_HINT}") from None
    return client


def require_image(client: Any, image: str) -> Any:
    """The local image ``image`` (never pulled).

    Raises:
        VigiaError: It is not in local storage.
    """
    import docker

    try:
        return client.images.get(image)
    except docker.errors.ImageNotFound:
        raise VigiaError(f"image {image} is not built; {SETUP_HINT}") from None
