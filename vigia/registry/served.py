"""What a running predictor says it serves: the one answer to "what is live" when the server can
be reached (V2 model metadata, ``versions``; the same number as the gauge
``vigia_model_live_version``). The store's ``CURRENT`` and the registry's ``champion`` are
pointers; a server that was not restarted, a canary, a rollback on a cluster or a crashed push
can make them disagree with it, and the callers say so."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Served:
    """The version a server reports for one model, or why there is none."""

    version: int | None
    note: str  # where the number came from, or why it is missing

    def disagreement(self, name: str, pointer: int | None) -> str | None:
        """One line when the server's version and the pointer differ (None when they agree or
        the server could not say)."""
        if self.version is None or self.version == pointer:
            return None
        return (
            f"{name}: the server serves version {self.version} but the store's pointer says "
            f"{pointer if pointer is not None else 'nothing'}; using the served version"
        )


def served_version(serving_url: str, name: str, timeout: float = 5.0) -> Served:
    """Ask ``GET <serving_url>/v2/models/<name>`` which version answers; never raises."""
    import httpx

    url = f"{serving_url.rstrip('/')}/v2/models/{name}"
    try:
        answer = httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        return Served(None, f"server {serving_url} not reachable ({type(exc).__name__})")
    if answer.status_code != 200:
        return Served(None, f"server {serving_url} answered {answer.status_code} for {name}")
    try:
        return Served(int(answer.json()["versions"][0]), f"served by {serving_url}")
    except (ValueError, KeyError, IndexError, TypeError):
        return Served(None, f"server {serving_url} gave no version for {name}")
