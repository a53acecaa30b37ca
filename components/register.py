"""Register: log the run to MLflow (params, metrics, data hash, catalog, card, decision, model)
and register a new version with alias ``challenger``, tagged approved or not."""

from kfp.dsl import Dataset, Input, Markdown, Model


def register(
    model: Input[Model],
    scores: Input[Dataset],
    decision: Input[Dataset],
    catalog: Input[Markdown],
    card: Input[Markdown],
    reference: Input[Dataset],
    tracking_uri: str,
    artifact_root: str,
    registered_name: str,
    method: str,
    seed: int,
    data_hash: str,
) -> int:
    """Returns the registered version number."""
    import json
    from pathlib import Path

    from vigia.registry.tracking import SCOPE_TAG, Registry
    from vigia.training import candidate_metrics

    result = json.loads(Path(scores.path).read_text(encoding="utf-8"))
    verdict = json.loads(Path(decision.path).read_text(encoding="utf-8"))
    registry = Registry(tracking_uri, artifact_root or None)
    info = registry.log_training_run(
        experiment=registered_name,
        registered_name=registered_name,
        bundle=Path(model.path),
        params={
            "method": method,
            "seed": seed,
            "origins": result["origins"],
            "regions": result["regions"],
            "first_origin": result["first_origin"],
            "last_origin": result["last_origin"],
        },
        metrics=candidate_metrics(result),
        tags={
            "vigia.data_hash": data_hash,
            "vigia.method": method,
            "vigia.decision": "; ".join(verdict["reasons"])[:5000],
            **({SCOPE_TAG: json.dumps(result["scope"])} if "scope" in result else {}),
        },
        artifacts={
            "evaluation": Path(scores.path),
            "gate": Path(decision.path),
            "features": Path(catalog.path),
            "data": Path(card.path),
            "reference": Path(reference.path),  # feature table: the monitoring's reference
        },
        approved=bool(verdict["approved"]),
    )
    print(
        f"register: {registered_name} version {info.version} (alias challenger, "
        f"approved={info.approved})"
    )
    return info.version
