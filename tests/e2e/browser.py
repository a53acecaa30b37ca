"""Load a page in Debian's headless Chromium through the DevTools protocol: console errors,
uncaught exceptions, network requests, a JavaScript check and a full-page screenshot.

A small client over ``websocket-client`` (no browser download, no Node). Chromium comes from
``make browser``. Also runnable by hand:

    python tests/e2e/browser.py file:///path/page.html out.png
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websocket

# Flags known to work on these machines (closed network: no background connections).
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--remote-debugging-port=0",
)


def chromium_path() -> str:
    """Path of the chromium binary, or an assertion telling how to install it."""
    found = shutil.which("chromium")
    assert found, "chromium is not installed: run `make browser` (Debian package chromium)"
    return found


@dataclass
class PageReport:
    """What happened while the page loaded."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    check: Any = None
    screenshot: Path | None = None


class DevTools:
    """Minimal Chrome DevTools Protocol client for one page."""

    def __init__(self, ws_url: str, timeout: float) -> None:
        self.socket = websocket.create_connection(ws_url, timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, f"{method}: {message['error']}"
                return dict(message.get("result", {}))
            self.events.append(message)

    def wait_for(self, event: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        if any(e.get("method") == event for e in self.events):
            return
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            self.events.append(message)
            if message.get("method") == event:
                return
        raise AssertionError(f"no {event} within {timeout}s")

    def close(self) -> None:
        self.socket.close()


def _errors(events: list[dict[str, Any]]) -> list[str]:
    found = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            found.append(f"exception: {text}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            found.append(f"console.{params['type']}: {args}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            found.append(f"log: {entry.get('text')} ({entry.get('url', '')})")
    return found


def load_page(
    url: str,
    screenshot: Path | None,
    check: str = "true",
    ready: str = "true",
    width: int = 1400,
    timeout: float = 60.0,
) -> PageReport:
    """Open ``url`` in a fresh headless Chromium and report what happened.

    Args:
        url: Page to load (``file://`` or ``http://127.0.0.1…``).
        screenshot: Where to save a full-page PNG (None: no screenshot).
        check: JavaScript expression evaluated after load; its value is returned.
        ready: JavaScript expression polled until true before checking (e.g. charts drawn).
        width: Viewport width in CSS pixels.
        timeout: Seconds allowed for start-up, load and ``ready``.
    """
    profile = Path(tempfile.mkdtemp(prefix="vigia-chromium-"))
    process = subprocess.Popen(
        [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, f"chromium exited with code {process.returncode}"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=timeout).json()
        page = next(p for p in pages if p.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"], timeout)
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                tools.call(f"{domain}.enable")
            tools.call(
                "Emulation.setDeviceMetricsOverride",
                width=width,
                height=900,
                deviceScaleFactor=1,
                mobile=False,
            )
            tools.call("Page.navigate", url=url)
            tools.wait_for("Page.loadEventFired", timeout)
            while not tools.call("Runtime.evaluate", expression=ready, returnByValue=True)[
                "result"
            ].get("value"):
                assert time.monotonic() < deadline, f"page not ready within {timeout}s: {ready}"
                time.sleep(0.2)
            report = PageReport()
            report.check = tools.call("Runtime.evaluate", expression=check, returnByValue=True)[
                "result"
            ].get("value")
            if screenshot is not None:
                size = tools.call("Page.getLayoutMetrics")["cssContentSize"]
                shot = tools.call(
                    "Page.captureScreenshot",
                    format="png",
                    captureBeyondViewport=True,
                    clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
                )
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                screenshot.write_bytes(base64.b64decode(shot["data"]))
                report.screenshot = screenshot
            time.sleep(0.3)  # let late console messages arrive
            tools.call("Runtime.evaluate", expression="1")
            report.errors = _errors(tools.events)
            report.requests = [
                e["params"]["request"]["url"]
                for e in tools.events
                if e.get("method") == "Network.requestWillBeSent"
            ]
            return report
        finally:
            tools.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


@contextlib.contextmanager
def open_page(
    url: str, width: int = 390, height: int = 844, mobile: bool = True, timeout: float = 60.0
) -> Iterator[DevTools]:
    """A fresh headless Chromium on ``url`` (phone-sized by default) for a test to drive through
    :meth:`DevTools.call` (``Runtime.evaluate`` …); console errors: ``errors(tools.events)``."""
    profile = Path(tempfile.mkdtemp(prefix="vigia-chromium-"))
    process = subprocess.Popen(
        [chromium_path(), *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            assert process.poll() is None, f"chromium exited with code {process.returncode}"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        pages = httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=timeout).json()
        page = next(p for p in pages if p.get("type") == "page")
        tools = DevTools(page["webSocketDebuggerUrl"], timeout)
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                tools.call(f"{domain}.enable")
            tools.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                       deviceScaleFactor=1, mobile=mobile)  # fmt: skip
            tools.call("Page.navigate", url=url)
            tools.wait_for("Page.loadEventFired", timeout)
            yield tools
        finally:
            tools.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(profile, ignore_errors=True)


def evaluate(tools: DevTools, expression: str) -> Any:
    """The value of a JavaScript expression in the page."""
    return tools.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get(
        "value"
    )


def wait_until(tools: DevTools, expression: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not evaluate(tools, expression):
        assert time.monotonic() < deadline, f"not true within {timeout}s: {expression}"
        time.sleep(0.1)


def screenshot(tools: DevTools, path: Path, width: int) -> Path:
    """A full-page PNG of the current page."""
    size = tools.call("Page.getLayoutMetrics")["cssContentSize"]
    shot = tools.call(
        "Page.captureScreenshot",
        format="png",
        captureBeyondViewport=True,
        clip={"x": 0, "y": 0, "width": width, "height": size["height"], "scale": 1},
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path


def errors(events: list[dict[str, Any]]) -> list[str]:
    """Console errors and uncaught exceptions among the DevTools events."""
    return _errors(events)


if __name__ == "__main__":
    result = load_page(sys.argv[1], Path(sys.argv[2]))
    print(json.dumps({"errors": result.errors, "requests": result.requests}, indent=2))
