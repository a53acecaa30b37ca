"""Push: copy an approved model to the versioned model store, switch the live pointer
atomically and make the version champion. Refuses anything the gate did not approve."""

from kfp.dsl import Dataset, Input, Model


def push(
    model: Input[Model],
    decision: Input[Dataset],
    registered_name: str,
    version: int,
    store_root: str,
    tracking_uri: str,
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
    return str(target)
