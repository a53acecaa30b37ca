"""What machine a benchmark ran on (stored beside every number we quote)."""

from __future__ import annotations

import os
import platform
import resource
import time
from typing import Any


def machine_info() -> dict[str, Any]:
    """CPU count, memory, load average, Python and OS, and when."""
    try:
        with open("/proc/meminfo", encoding="utf-8") as handle:
            total_kb = int(handle.readline().split()[1])
    except (OSError, ValueError, IndexError):
        total_kb = 0
    return {
        "cpus": os.cpu_count(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }


def cpu_seconds() -> float:
    """User + system CPU of this process and of its finished (waited-for) child processes."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
