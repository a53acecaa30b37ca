"""A local model server as a child process: free ports, start, wait until ready, stop.

One helper for everything that runs ``vigia serve`` beside itself: the demo, replays, tests and
benchmarks. The server is a separate process (KServe owns its event loop and signal handlers).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from vigia.errors import RuntimeFailure


def free_ports(count: int) -> list[int]:
    """``count`` distinct free ports on 127.0.0.1 (held together while chosen)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


READY_TIMEOUT = 240.0  # a busy machine loads models slowly: wait long rather than fail
STOP_TIMEOUT = 30.0


def launch(
    command: list[str], log: Path, env: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """Start ``command`` in the background, its output going to ``log`` (``env``: variables
    added to this process's environment)."""
    handle = open(log, "wb")  # noqa: SIM115 - owned by the child for its lifetime
    return subprocess.Popen(
        command, stdout=handle, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )


def start_server(workspace: Path, port: int, grpc_port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start ``vigia serve`` on ``workspace`` in the background, its output going to ``log``."""
    command = [
        sys.executable, "-m", "vigia.cli.main", "--workspace", str(workspace), "serve",
        "--host", "127.0.0.1", "--http-port", str(port), "--grpc-port", str(grpc_port),
    ]  # fmt: skip
    return launch(command, log)


def wait_ready(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path | None = None,
    timeout: float = READY_TIMEOUT,
) -> float:
    """Poll ``url`` until it answers 200; returns seconds waited.

    Raises:
        RuntimeFailure: The process exited first, or ``timeout`` passed (the message ends with the
            end of ``log``, if given).
    """
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise RuntimeFailure(
                f"server exited with code {process.returncode} before it was ready{_tail(log)}"
            )
        try:
            ready = httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:  # not listening yet
            ready = False
        if ready:
            return time.perf_counter() - started
        time.sleep(0.1)
    raise RuntimeFailure(f"server not ready after {timeout:.0f}s ({url}){_tail(log)}")


def _tail(log: Path | None, lines: int = 40) -> str:
    if log is None or not log.exists():
        return ""
    return "; its log ends:\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def stop_server(
    process: subprocess.Popen[bytes], timeout: float = STOP_TIMEOUT, signal_it: bool = True
) -> int:
    """Ask the server to stop (SIGINT, like Ctrl-C; ``signal_it=False`` if already sent), kill
    it if it does not stop within ``timeout``; its exit code."""
    if process.poll() is None:
        if signal_it:
            process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return int(process.returncode)
