"""Risk register: log the run to MLflow (params, test metrics, gate decision, EDA report, data
card, model selection, the classifier bundle as a pyfunc) and register a new version with alias
``challenger``, tagged approved or not."""

from kfp.dsl import HTML, Dataset, Input, Markdown, Model


def risk_register(
    model: Input[Model],
    scores: Input[Dataset],
    decision: Input[Dataset],
    eda: Input[HTML],
    card: Input[Markdown],
    selection: Input[Dataset],
    reference: Input[Dataset],
    tracking_uri: str,
    artifact_root: str,
    registered_name: str,
    data_hash: str,
) -> int:
    """Returns the registered version number."""
    import json
    from pathlib import Path

    from vigia.risk.workflow import register_risk

    result = json.loads(Path(scores.path).read_text(encoding="utf-8"))
    verdict = json.loads(Path(decision.path).read_text(encoding="utf-8"))
    version = register_risk(
        Path(model.path),
        result,
        verdict,
        {
            "evaluation": Path(scores.path),
            "gate": Path(decision.path),
            "eda": Path(eda.path),
            "data": Path(card.path),
            "selection": Path(selection.path),
            "reference": Path(reference.path),  # the training snapshot monitoring reads
        },
        tracking_uri,
        artifact_root,
        registered_name,
        data_hash,
    )
    print(
        f"register: {registered_name} version {version} (alias challenger, "
        f"approved={verdict['approved']})"
    )
    return version
