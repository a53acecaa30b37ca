"""The promote step's verdict on a canary's numbers (vigia.rollout.canary.judge) and the
storageUri ↔ version mapping of a release."""

from __future__ import annotations

import pytest

from vigia.errors import VigiaError
from vigia.rollout.canary import CanaryPolicy, CanaryStats, canary_queries, judge
from vigia.rollout.inferenceservice import release_patch, uri_version, version_uri

POLICY = CanaryPolicy(window_seconds=600, max_error_ratio=0.05, max_p99_seconds=0.25,
                      min_requests=20)  # fmt: skip


def test_a_healthy_canary_is_promoted_with_its_numbers() -> None:
    verdict = judge(CanaryStats(requests=198, errors=2, p99_seconds=0.031), POLICY)
    assert verdict.promote
    assert verdict.reasons == ["error ratio 1.00% (2 of 200) ≤ 5.00%", "p99 31.0 ms ≤ 250 ms"]


@pytest.mark.parametrize(
    ("stats", "reason"),
    [
        (CanaryStats(90, 10, 0.02), "error ratio 10.00% (10 of 100) > 5.00%"),
        (CanaryStats(100, 0, 0.9), "p99 900.0 ms > 250 ms"),
        (CanaryStats(3, 2, None), "only 5 requests reached the canary in 600 s"),
    ],
)
def test_an_unhealthy_canary_is_rolled_back(stats: CanaryStats, reason: str) -> None:
    verdict = judge(stats, POLICY)
    assert not verdict.promote and verdict.action == "roll back"
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_too_little_traffic_follows_the_policy() -> None:
    quiet = CanaryStats(requests=4, errors=0, p99_seconds=0.01)
    assert judge(quiet, POLICY).promote
    assert "load-and-query check alone" in judge(quiet, POLICY).reasons[-1]
    strict = CanaryPolicy(min_requests=20, promote_without_traffic=False)
    assert not judge(quiet, strict).promote


def test_queries_select_the_canary_revisions_only() -> None:
    queries = canary_queries("dengue-forecast", ["dengue-forecast-predictor-00002"], 600)
    assert queries["errors"] == (
        'sum(increase(vigia_request_errors_total{model="dengue-forecast",'
        'serving_knative_dev_revision=~"dengue-forecast-predictor-00002",kind="internal"}[600s]))'
    )
    with pytest.raises(VigiaError, match="not Knative revision names"):
        canary_queries("m", ['x"} or vector(1) #'], 600)


def test_release_patch_and_version_uris() -> None:
    uri = version_uri("gs://vigia-health-models/", "dengue-forecast", 7)
    assert uri == "gs://vigia-health-models/dengue-forecast/7"
    assert uri_version(uri) == 7 and uri_version("gs://b/m/latest") is None
    assert release_patch(uri, 7, 6, 10) == {
        "metadata": {"annotations": {"vigia.io/version": "7", "vigia.io/previous-version": "6"}},
        "spec": {"predictor": {"canaryTrafficPercent": 10, "model": {"storageUri": uri}}},
    }
