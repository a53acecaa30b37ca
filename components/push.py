"""Push: copy an approved model to the versioned model store, switch the live pointer
atomically and make the version champion. Refuses anything the gate did not approve. On a
cluster (``serving_namespace`` set) the InferenceServices of the model then serve the new
version to ``canary_percent`` % of the requests (vigia.rollout); the promote step decides."""

from kfp.dsl import Dataset, Input, Model


def push(
    model: Input[Model],
    decision: Input[Dataset],
    registered_name: str,
    version: int,
    store_root: str,
    tracking_uri: str,
    serving_namespace: str = "",
    models_uri: str = "",  # empty: the bucket the InferenceServices serve from
    canary_percent: int = 100,
) -> str:
    """Returns the path of the pushed version."""
    import json
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.evaluate.gates import Decision
    from vigia.training import push_approved

    verdict = Decision.from_dict(json.loads(Path(decision.path).read_text(encoding="utf-8")))
    with exit_on_user_error("push"):
        target = push_approved(
            Path(model.path),
            verdict,
            registered_name,
            version,
            Path(store_root),
            tracking_uri,
            progress=lambda line: print(f"push: {line}"),
        )
    print(f"push: {registered_name} version {version} is live at {target}")
    if serving_namespace:
        from vigia.rollout.flow import release_pushed
        from vigia.rollout.inferenceservice import InferenceServices

        with exit_on_user_error("push"):
            release_pushed(
                InferenceServices.connect(serving_namespace),
                registered_name,
                version,
                models_uri,
                canary_percent,
                progress=lambda line: print(f"push: {line}"),
            )
    return str(target)
