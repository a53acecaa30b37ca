"""Run the predictor image: ``vigia serve --container`` and ``make serve-container``.

The model store is mounted read-only at ``/mnt/models`` (the server serves every model's current
version and hot-swaps when ``CURRENT`` changes, as ``vigia serve`` does); the container runs as
the image's non-root user with a read-only root filesystem, no capabilities and no privilege
escalation, and publishes its HTTP and gRPC ports on 127.0.0.1 (``--host``) only. It counts as
healthy once ``/v2/health/ready`` answers 200 (every model loaded); stopping sends SIGTERM,
waits for the server's clean exit and removes the container.
"""

from __future__ import annotations

import os
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigia.containers import engine_client, require_image
from vigia.errors import RuntimeFailure, VigiaError
from vigia.images import image_ref

STORE_MOUNT = "/mnt/models"
PAYLOAD_MOUNT = "/var/log/vigia/payloads"
HTTP_PORT, GRPC_PORT = 8080, 8081  # inside the container
READY_TIMEOUT = 180.0
STOP_TIMEOUT = 20


@dataclass
class PredictorContainer:
    """A running predictor container."""

    container: Any
    host: str
    http_port: int
    grpc_port: int

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host == "0.0.0.0" else self.host
        return f"http://{host}:{self.http_port}"

    @property
    def name(self) -> str:
        return str(self.container.name)

    def logs(self, tail: int = 40) -> str:
        return bytes(self.container.logs(tail=tail)).decode(errors="replace")

    def user(self) -> str:
        """The user the server process runs as (``uid=... gid=...`` from inside)."""
        _, output = self.container.exec_run(["id"])
        return bytes(output).decode().strip()

    def main_pid(self) -> int:
        """Host PID of the server process."""
        self.container.reload()
        return int(self.container.attrs["State"]["Pid"])

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> float:
        """Seconds until ``/v2/health/ready`` answered 200.

        Raises:
            RuntimeFailure: The container exited (its last log lines say why) or timed out.
        """
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            self.container.reload()
            if self.container.status not in ("created", "running"):
                raise RuntimeFailure(
                    f"predictor container exited ({self.container.status}):\n{self.logs()}"
                )
            if _ready(f"{self.url}/v2/health/ready"):
                return time.perf_counter() - started
            time.sleep(0.2)
        raise RuntimeFailure(f"predictor not ready after {timeout:.0f}s:\n{self.logs()}")

    def stop(self, timeout: int = STOP_TIMEOUT) -> int:
        """SIGTERM, wait for the exit, remove the container; return the exit code."""
        try:
            self.container.stop(timeout=timeout)
            return int(self.container.wait(timeout=timeout + 10)["StatusCode"])
        finally:
            self.container.remove(force=True)


def start_predictor(
    store: Path,
    models: Sequence[str] | None = None,
    host: str = "127.0.0.1",
    http_port: int = 8080,
    grpc_port: int = 8081,
    payload_log: Path | None = None,
    image: str | None = None,
    extra_args: Sequence[str] = (),
) -> PredictorContainer:
    """Start the predictor image on the model store (returns before it is ready).

    Args:
        store: The model store (``<store>/<name>/<version>/`` + ``CURRENT``), mounted read-only.
        models: Models to serve (default: every model with a current version).
        host: Address the ports are published on (default 127.0.0.1: this machine only).
        http_port, grpc_port: Published ports.
        payload_log: Folder for the payload log (mounted read-write), or None for no log.
        image: Image reference (default: the local predictor image from ``vigia/images.toml``).
        extra_args: More ``python -m vigia.serving`` options (e.g. ``--watch-interval 0``).

    Raises:
        VigiaError: No engine, no image, no store, or the container name is taken by a running
            predictor.
    """
    import docker
    from docker.types import Mount

    from vigia.serving.sources import model_names

    store = Path(store).expanduser().resolve()
    model_names(store, list(models) if models else None)  # a bad store fails here, in one line
    client = engine_client()
    image = image or image_ref("predictor", "local")
    user = require_image(client, image).attrs["Config"].get("User") or ""
    name = f"vigia-predictor-{http_port}"
    _remove_stopped(client, name)
    args = ["--model-dir", STORE_MOUNT, "--host", "0.0.0.0"]
    args += ["--http_port", str(HTTP_PORT), "--grpc_port", str(GRPC_PORT)]
    for model in models or []:
        args += ["--model-name", model]
    mounts = [Mount(target=STORE_MOUNT, source=str(store), type="bind", read_only=True)]
    if payload_log is not None:
        _writable_for(Path(payload_log), user)
        mounts.append(Mount(target=PAYLOAD_MOUNT, source=str(payload_log), type="bind"))
        args += ["--payload-log", PAYLOAD_MOUNT]
    try:
        container = client.containers.run(
            image, [*args, *extra_args], name=name, detach=True, mounts=mounts,
            network_mode="bridge", read_only=True, tmpfs={"/tmp": "size=256m"},
            cap_drop=["ALL"], security_opt=["no-new-privileges"],
            ports={f"{HTTP_PORT}/tcp": (host, http_port), f"{GRPC_PORT}/tcp": (host, grpc_port)},
        )  # fmt: skip
    except docker.errors.APIError as exc:
        raise RuntimeFailure(f"cannot start the predictor container: {exc.explanation}") from None
    return PredictorContainer(container, host, http_port, grpc_port)


def predictor_options(argv: Sequence[str]) -> dict[str, Any]:
    """:func:`start_predictor` keyword arguments for a ``python -m vigia.serving`` command line
    (what ``vigia serve`` builds): host paths become mounts, host ports published ports, every
    other option is passed through."""
    import argparse

    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--model-dir", required=True, type=Path)
    parser.add_argument("--model-name", dest="models", action="append")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--http_port", type=int, default=8080)
    parser.add_argument("--grpc_port", type=int, default=8081)
    parser.add_argument("--payload-log", type=Path, default=None)
    known, rest = parser.parse_known_args(list(argv))
    return {
        "store": known.model_dir,
        "models": known.models,
        "host": known.host,
        "http_port": known.http_port,
        "grpc_port": known.grpc_port,
        "payload_log": known.payload_log,
        "extra_args": rest,
    }


def serve_in_container(argv: Sequence[str]) -> int:
    """Foreground ``vigia serve --container``: start the predictor image for the ``python -m
    vigia.serving`` command line ``argv``, report readiness, follow the server's log, stop
    cleanly on Ctrl-C or SIGTERM. Returns the container's exit code."""
    import signal

    predictor = start_predictor(**predictor_options(argv))
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        took = predictor.wait_ready()
        print(
            f"predictor container {predictor.name} ready in {took:.1f}s at {predictor.url} "
            f"(gRPC {predictor.host}:{predictor.grpc_port}; {predictor.user()}); Ctrl-C stops it",
            flush=True,
        )
        for chunk in predictor.container.logs(stream=True, follow=True, since=int(time.time())):
            print(bytes(chunk).decode(errors="replace"), end="", flush=True)
    except KeyboardInterrupt:
        print("stopping the predictor container …", flush=True)
    finally:
        signal.signal(signal.SIGTERM, previous)
        code = predictor.stop()
    print(f"predictor container stopped (exit code {code})", flush=True)
    return code


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def _remove_stopped(client: Any, name: str) -> None:
    """Remove a leftover container of that name; refuse if it is running."""
    import docker

    try:
        old = client.containers.get(name)
    except docker.errors.NotFound:
        return
    if old.status == "running":
        raise VigiaError(f"a predictor container {name} is already running; stop it first")
    old.remove(force=True)


def _writable_for(folder: Path, user: str) -> None:
    """Create ``folder`` and, when we are root, hand it to the image's user so the non-root
    server can append to it (a non-root caller owns what it creates already)."""
    folder.mkdir(parents=True, exist_ok=True)
    uid, _, gid = user.partition(":")
    if os.geteuid() == 0 and uid.isdigit():
        os.chown(folder, int(uid), int(gid) if gid.isdigit() else int(uid))
