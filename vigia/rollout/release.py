"""Releases on a cluster: a canary of a pushed version, its promotion, a roll back.

The sequence KServe documents for a canary, applied to every InferenceService of a model:

1. :func:`start_canary` — ``storageUri`` := the new version's folder, ``canaryTrafficPercent``
   := P: KServe starts a revision and sends it P % of the requests, the rest stays on the
   revision rolled out before (P = 100: straight roll-out, as in dev).
2. :func:`wait_settled` — the new revision is ready (or the release is rolled back).
3. :func:`promote` — ``canaryTrafficPercent`` := 100: the new revision takes all traffic.
   Or :func:`roll_back` — ``storageUri`` := the previous version with ``canaryTrafficPercent``
   0 (all traffic goes back to the rolled-out revision at once), and once that revision is
   ready, 100.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from vigia.errors import VigiaError
from vigia.rollout.inferenceservice import (
    InferenceServices,
    ServingState,
    percent_patch,
    release_patch,
    version_uri,
)

Progress = Callable[[str], None]


class RolloutTimeout(VigiaError):
    """A revision did not become ready in time."""


def models_uri_of(state: ServingState) -> str:
    """The model store bucket a storageUri points into (``gs://b/<model>/<v>`` → ``gs://b``)."""
    suffix = f"/{state.model}/{state.version}"
    uri = state.storage_uri.rstrip("/")
    if state.version is None or not uri.endswith(suffix):
        raise VigiaError(
            f"{state.name}: storageUri {state.storage_uri!r} is not <store>/{state.model}/<version>"
        )
    return uri[: -len(suffix)]


def start_canary(
    isvcs: InferenceServices, model: str, version: int, models_uri: str, percent: int
) -> list[ServingState]:
    """Serve ``version`` to ``percent`` % of the requests of every InferenceService of
    ``model``. ``models_uri`` is the model store bucket (empty: the one each InferenceService
    already serves from). Patching again with the same values changes nothing (a retried
    step)."""
    if not 0 < percent <= 100:
        raise VigiaError(f"canary percent must be 1-100, not {percent}")
    done = []
    for state in isvcs.for_model(model):
        uri = version_uri(models_uri or models_uri_of(state), model, version)
        if state.storage_uri == uri and state.canary_percent == percent:
            done.append(state)
            continue
        previous = state.version if state.storage_uri != uri else state.previous
        done.append(isvcs.patch(state.name, release_patch(uri, version, previous, percent)))
    return done


def promote(isvcs: InferenceServices, model: str) -> list[ServingState]:
    """Give the latest revision of every InferenceService of ``model`` all the traffic."""
    return [isvcs.patch(s.name, percent_patch(100)) for s in isvcs.for_model(model)]


def wait_settled(
    isvcs: InferenceServices,
    model: str,
    timeout: float,
    poll: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[ServingState]:
    """Wait until every InferenceService of ``model`` has its latest spec as a ready revision."""
    deadline = clock() + timeout
    while True:
        states = isvcs.for_model(model)
        waiting = [s for s in states if not s.settled]
        if not waiting:
            return states
        if clock() >= deadline:
            names = ", ".join(f"{s.name} (revision {s.latest_revision})" for s in waiting)
            raise RolloutTimeout(f"not ready after {timeout:.0f} s: {names}")
        sleep(poll)


def roll_back(
    isvcs: InferenceServices,
    model: str,
    to_version: int,
    timeout: float,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[ServingState]:
    """Serve ``to_version`` again: all traffic returns to the rolled-out revision at once
    (``canaryTrafficPercent`` 0) while a revision of ``to_version`` starts; when it is ready it
    gets 100 %. A revision that does not come up leaves the traffic on the rolled-out one and
    raises :class:`RolloutTimeout`."""
    for state in isvcs.for_model(model):
        uri = version_uri(models_uri_of(state), model, to_version)
        isvcs.patch(state.name, release_patch(uri, to_version, state.version, 0))
        if progress:
            progress(f"{state.name}: traffic back on the rolled-out revision; starting {uri}")
    wait_settled(isvcs, model, timeout, sleep=sleep)
    return promote(isvcs, model)
