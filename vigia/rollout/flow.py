"""The cluster release steps as the pipeline and the CLI run them.

- :func:`release_pushed` (the push step, after the store push): the new version goes to the
  InferenceServices as a canary.
- :func:`promote_or_roll_back` (the promote step): wait for the canary, watch it, judge it
  (:mod:`vigia.rollout.canary`), then promote it or roll everything back — the served version,
  the store's ``CURRENT`` and the registry's ``champion``.
- :func:`cluster_rollback` (``vigia models rollback --cluster``): the previous approved version
  served again, in one command.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from vigia.errors import NotFoundError, VigiaError
from vigia.rollout.canary import CanaryPolicy, Verdict, canary_stats, judge
from vigia.rollout.inferenceservice import InferenceServices, ServingState
from vigia.rollout.release import (
    RolloutTimeout,
    promote,
    roll_back,
    start_canary,
    wait_settled,
)

Progress = Callable[[str], None]


def _say(progress: Progress | None, line: str) -> None:
    if progress:
        progress(line)


def release_pushed(
    isvcs: InferenceServices,
    model: str,
    version: int,
    models_uri: str,
    percent: int,
    progress: Progress | None = None,
) -> list[ServingState]:
    """Send a pushed version to ``percent`` % of the requests of every InferenceService of
    ``model`` (100: roll out at once)."""
    states = start_canary(isvcs, model, version, models_uri, percent)
    for state in states:
        _say(progress, f"{state.name}: version {version} at {percent} % of the traffic "
                       f"(was version {state.previous})")  # fmt: skip
    return states


@dataclass
class Outcome:
    """What the promote step decided and did."""

    verdict: Verdict
    served: int | None
    rolled_back_to: int | None = None
    states: list[ServingState] = field(default_factory=list)


def promote_or_roll_back(
    isvcs: InferenceServices,
    model: str,
    version: int,
    policy: CanaryPolicy,
    prometheus_url: str,
    ready_timeout: float,
    roll_store_back: Callable[[int], None],
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Judge the canary of ``version`` and promote it, or roll back to the version it replaced.

    ``roll_store_back(previous)`` moves the store's pointer and the registry's champion back
    (:func:`vigia.registry.lifecycle.roll_store_back`); it runs after serving is back."""
    states = isvcs.for_model(model)
    wrong = [s for s in states if s.version != version]
    if wrong:
        raise VigiaError(
            f"{', '.join(s.describe() for s in wrong)}: not the pushed version {version} "
            "(another release moved it); nothing promoted or rolled back"
        )
    previous = next((s.previous for s in states if s.previous is not None), None)
    try:
        states = wait_settled(isvcs, model, ready_timeout, sleep=sleep)
    except RolloutTimeout as exc:
        verdict = Verdict(False, [f"the canary did not become ready: {exc}"])
    else:
        if all(s.canary_percent in (None, 100) for s in states):
            return Outcome(Verdict(True, ["rolled out at once (canaryTrafficPercent 100)"]),
                           version, states=states)  # fmt: skip
        _say(progress, f"watching the canary for {policy.window_seconds} s")
        sleep(policy.window_seconds)
        revisions = [s.latest_revision for s in states if s.latest_revision]
        stats = canary_stats(prometheus_url, model, revisions, policy.window_seconds)
        verdict = judge(stats, policy)
    for reason in verdict.reasons:
        _say(progress, reason)
    if verdict.promote:
        return Outcome(verdict, version, states=promote(isvcs, model))
    if previous is None:
        raise VigiaError(
            f"{model}: the canary of version {version} failed ({'; '.join(verdict.reasons)}) "
            "and no previous version is recorded to roll back to; set canaryTrafficPercent 0 "
            "by hand"
        )
    states = roll_back(isvcs, model, previous, ready_timeout, progress=progress, sleep=sleep)
    roll_store_back(previous)
    return Outcome(verdict, previous, rolled_back_to=previous, states=states)


@dataclass
class ClusterRollback:
    name: str
    from_version: int | None
    to_version: int
    states: list[ServingState]


def cluster_rollback(
    isvcs: InferenceServices,
    name: str,
    tracking_uri: str | None,
    timeout: float,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> ClusterRollback:
    """Serve the previous approved version again (older than the one served now); with the
    registry at ``tracking_uri`` it becomes champion and the version rolled back from is tagged
    (the next pipeline run's reconcile then moves the store's ``CURRENT`` back too). Without
    the registry, the version the current one replaced (``vigia.io/previous-version``)."""
    states = isvcs.for_model(name)
    served = max((s.version for s in states if s.version is not None), default=None)
    target = None
    registry = None
    if tracking_uri:
        from vigia.registry.tracking import Registry

        registry = Registry(tracking_uri)
        older = [v.version for v in registry.versions(name)
                 if v.approved and served is not None and v.version < served]  # fmt: skip
        target = older[-1] if older else None
    else:
        target = next((s.previous for s in states if s.previous is not None), None)
    if target is None:
        raise NotFoundError(
            f"{name}: no approved version older than the served version {served} to roll back to"
        )
    states = roll_back(isvcs, name, target, timeout, progress=progress, sleep=sleep)
    if registry is not None:
        registry.promote(name, target)
        if served is not None:
            registry.mark_rolled_back(name, served)
    return ClusterRollback(name, served, target, states)


def store_roller(store_root: str | Path, tracking_uri: str, name: str) -> Callable[[int], None]:
    """``roll_store_back`` for :func:`promote_or_roll_back`: the model store and registry."""

    def roll(version: int) -> None:
        from vigia.registry.lifecycle import roll_store_back
        from vigia.registry.store import ModelStore
        from vigia.registry.tracking import Registry

        roll_store_back(ModelStore(store_root), Registry(tracking_uri), name, version)

    return roll
