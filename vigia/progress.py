"""Progress lines for long work (the CLI and the workflows): ``▶ message …`` when a step starts,
``✓ message (1.2s)`` or ``✗ message (1.2s)`` when it ends."""

from __future__ import annotations

import time


def say(message: str) -> None:
    """Print one progress line now (not buffered)."""
    print(message, flush=True)


class Step:
    """Prints ``▶ message`` and, on exit, ``✓ message (1.2s)``: progress on long work."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.started = 0.0

    def __enter__(self) -> Step:
        self.started = time.perf_counter()
        say(f"▶ {self.message} …")
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        took = time.perf_counter() - self.started
        mark = "✓" if exc_type is None else "✗"
        say(f"{mark} {self.message} ({took:.1f}s)")
