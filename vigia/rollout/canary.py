"""Is the canary healthy? Its error rate and latency, read from Prometheus, against a policy.

The predictors export ``vigia_requests_total``, ``vigia_request_errors_total{kind}`` and the
histogram ``vigia_handler_seconds`` (docs/serving.md, "Metrics"); the PodMonitor
(``manifests/base/monitoring/podmonitor.yaml``) copies the pod labels onto every series, so the
Knative revision of the canary is the label ``serving_knative_dev_revision``. The thresholds
default to the serving alerts' (5 % of requests failing with a 5xx, p99 above 250 ms).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from vigia.errors import VigiaError

REVISION_LABEL = "serving_knative_dev_revision"
REVISION_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class CanaryPolicy:
    """When a canary is promoted.

    Args:
        window_seconds: How long the canary is watched before the verdict.
        max_error_ratio: Highest share of its requests answered with a 5xx.
        max_p99_seconds: Highest p99 of its handler time.
        min_requests: Fewer requests than this in the window is too little traffic to judge.
        promote_without_traffic: With too little traffic and no error, promote on the gate and
            the load-and-query check alone (True), or roll back (False).
    """

    window_seconds: int = 600
    max_error_ratio: float = 0.05
    max_p99_seconds: float = 0.25
    min_requests: int = 20
    promote_without_traffic: bool = True


@dataclass(frozen=True)
class CanaryStats:
    """What the canary revisions answered in the window."""

    requests: float  # answered
    errors: float  # answered with a 5xx (kind "internal")
    p99_seconds: float | None

    @property
    def total(self) -> float:
        return self.requests + self.errors

    @property
    def error_ratio(self) -> float:
        return self.errors / self.total if self.total else 0.0


@dataclass
class Verdict:
    promote: bool
    reasons: list[str] = field(default_factory=list)

    @property
    def action(self) -> str:
        return "promote" if self.promote else "roll back"


def judge(stats: CanaryStats, policy: CanaryPolicy) -> Verdict:
    """Promote or roll back, with the reasons (numbers included)."""
    reasons = []
    bad = False
    if stats.total < policy.min_requests:
        bad = stats.errors > 0 or not policy.promote_without_traffic
        reasons.append(
            f"only {stats.total:.0f} requests reached the canary in {policy.window_seconds} s "
            f"(fewer than {policy.min_requests}); {stats.errors:.0f} failed"
        )
        if not bad:
            reasons.append("promoted on the gate and the load-and-query check alone")
        return Verdict(not bad, reasons)
    ratio_ok = stats.error_ratio <= policy.max_error_ratio
    bad |= not ratio_ok
    reasons.append(
        f"error ratio {stats.error_ratio:.2%} ({stats.errors:.0f} of {stats.total:.0f}) "
        f"{'≤' if ratio_ok else '>'} {policy.max_error_ratio:.2%}"
    )
    if stats.p99_seconds is not None:
        latency_ok = stats.p99_seconds <= policy.max_p99_seconds
        bad |= not latency_ok
        reasons.append(
            f"p99 {stats.p99_seconds * 1000:.1f} ms {'≤' if latency_ok else '>'} "
            f"{policy.max_p99_seconds * 1000:.0f} ms"
        )
    return Verdict(not bad, reasons)


def canary_queries(model: str, revisions: list[str], window_seconds: int) -> dict[str, str]:
    """The PromQL of the three numbers, for the canary ``revisions`` of ``model``."""
    bad = [r for r in revisions if not REVISION_NAME.match(r)]
    if bad or not revisions:
        raise VigiaError(f"not Knative revision names: {bad or 'none given'}")
    pattern = "|".join(revisions)  # DNS labels: nothing to escape in a PromQL regex
    where = f'model="{model}",{REVISION_LABEL}=~"{pattern}"'
    window = f"{int(window_seconds)}s"
    return {
        "requests": f"sum(increase(vigia_requests_total{{{where}}}[{window}]))",
        "errors": (
            f'sum(increase(vigia_request_errors_total{{{where},kind="internal"}}[{window}]))'
        ),
        "p99_seconds": (
            "histogram_quantile(0.99, sum by (le) "
            f"(rate(vigia_handler_seconds_bucket{{{where}}}[{window}])))"
        ),
    }


def query_scalar(prometheus_url: str, query: str, timeout: float = 30.0) -> float | None:
    """The single value of an instant query (None when it returns no series or NaN)."""
    import httpx

    try:
        answer = httpx.get(
            f"{prometheus_url.rstrip('/')}/api/v1/query", params={"query": query}, timeout=timeout
        )
        body: dict[str, Any] = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise VigiaError(f"Prometheus at {prometheus_url}: {exc}") from None
    if answer.status_code != 200 or body.get("status") != "success":
        raise VigiaError(f"Prometheus at {prometheus_url}: {body.get('error') or answer.text}")
    result = body["data"]["result"]
    if not result:
        return None
    value = float(result[0]["value"][1])
    return None if math.isnan(value) else value


def canary_stats(
    prometheus_url: str, model: str, revisions: list[str], window_seconds: int
) -> CanaryStats:
    """Requests, 5xx errors and p99 of the canary revisions over the last window."""
    queries = canary_queries(model, revisions, window_seconds)
    values = {key: query_scalar(prometheus_url, q) for key, q in queries.items()}
    return CanaryStats(
        requests=values["requests"] or 0.0,
        errors=values["errors"] or 0.0,
        p99_seconds=values["p99_seconds"],
    )
