"""``pytest --cpu-durations=N``: the N tests that cost the most CPU, fixtures included.

Wall-clock durations (``--durations``) grow with the machine's load; the suite's budget is in
CPU seconds. Each test's cost is the CPU of this process and of the child processes it waited
for (the CLI, kfp.local's tasks, model servers), from setup to teardown. A session fixture's
cost lands on the first test that uses it; containers started through podman run outside this
process tree and are not counted.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.machine import cpu_seconds

_costs: dict[str, float] = {}


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--cpu-durations",
        type=int,
        default=None,
        metavar="N",
        help="show the N tests with the most CPU seconds (this process and waited-for children)",
    )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Iterator[None]:
    started = cpu_seconds()
    yield
    _costs[item.nodeid] = cpu_seconds() - started


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:  # type: ignore[no-untyped-def]
    count = config.getoption("--cpu-durations")
    if count is None or not _costs:
        return
    total = sum(_costs.values())
    terminalreporter.write_sep("=", f"CPU seconds per test (all tests: {total:.0f} s)")
    ranked = sorted(_costs.items(), key=lambda item: item[1], reverse=True)
    for nodeid, seconds in ranked[: count or None]:
        terminalreporter.write_line(f"{seconds:8.1f}s  {nodeid}")
