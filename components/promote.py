"""Promote (cluster only, after push): wait for the canary revision, watch its error rate and
p99 latency in Prometheus, then promote it to all traffic or roll back — the served version,
the store's ``CURRENT`` and the registry's ``champion`` (vigia.rollout.flow)."""


def promote(
    registered_name: str,
    version: int,
    serving_namespace: str,
    prometheus_url: str,
    store_root: str,
    tracking_uri: str,
    window_seconds: int = 600,
    max_error_ratio: float = 0.05,
    max_p99_seconds: float = 0.25,
    min_requests: int = 20,
    ready_timeout: float = 900.0,
) -> str:
    """Returns what was done: ``promoted``, ``rolled back to <version>``, or ``not on a
    cluster`` (no ``serving_namespace``: kfp.local, where the push itself makes it live)."""
    if not serving_namespace:
        print("promote: not on a cluster (no serving_namespace); the push made it live")
        return "not on a cluster"

    from vigia.errors import exit_on_user_error
    from vigia.rollout.canary import CanaryPolicy
    from vigia.rollout.flow import promote_or_roll_back, store_roller
    from vigia.rollout.inferenceservice import InferenceServices

    policy = CanaryPolicy(window_seconds, max_error_ratio, max_p99_seconds, min_requests)
    with exit_on_user_error("promote"):
        outcome = promote_or_roll_back(
            InferenceServices.connect(serving_namespace),
            registered_name,
            version,
            policy,
            prometheus_url,
            ready_timeout,
            store_roller(store_root, tracking_uri, registered_name),
            progress=lambda line: print(f"promote: {line}"),
        )
    if outcome.rolled_back_to is not None:
        print(f"promote: {registered_name} rolled back to version {outcome.rolled_back_to}")
        return f"rolled back to {outcome.rolled_back_to}"
    print(f"promote: {registered_name} version {version} serves all traffic")
    return "promoted"
