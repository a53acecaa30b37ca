"""A local model server as a child process: free ports, start, wait until ready, stop.

One helper for everything that runs ``vigia serve`` beside itself: the demo, replays, tests and
benchmarks. The server is a separate process (KServe owns its event loop and signal handlers).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from vigia.errors import VigiaError


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


def start_server(workspace: Path, port: int, grpc_port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start ``vigia serve`` in the background, its output going to ``log``."""
    command = [
        sys.executable, "-m", "vigia.cli.main", "--workspace", str(workspace), "serve",
        "--host", "127.0.0.1", "--http-port", str(port), "--grpc-port", str(grpc_port),
    ]  # fmt: skip
    handle = open(log, "wb")  # noqa: SIM115 - owned by the child for its lifetime
    return subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT)


def wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 120.0) -> float:
    """Poll ``url`` until it answers 200; returns seconds waited."""
    import httpx

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if process.poll() is not None:
            raise VigiaError(f"server exited with code {process.returncode} before it was ready")
        try:
            ready = httpx.get(url, timeout=2.0).status_code == 200
        except httpx.HTTPError:  # not listening yet
            ready = False
        if ready:
            return time.perf_counter() - started
        time.sleep(0.25)
    raise VigiaError(f"server not ready after {timeout:.0f}s ({url})")


def stop_server(process: subprocess.Popen[bytes], timeout: float = 20.0) -> int:
    """Ask the server to stop (SIGINT, like Ctrl-C), escalate if it does not."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.terminate()
            process.wait(timeout=10)
    return int(process.returncode)
