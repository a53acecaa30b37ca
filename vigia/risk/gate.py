"""The risk gate: thresholds on discrimination and calibration against a prior-only baseline and
the current champion. Same semantics as the forecast gate (``vigia.evaluate.gates``): every
configured check must pass; no thresholds → not approved.

Keys of the ``[risk]`` section of ``configs/gates.toml``:

- ``min_roc_auc``: test ROC-AUC at least this (the prior-only baseline has 0.5);
- ``min_pr_auc_lift``: test PR-AUC / prevalence at least this (the prior-only baseline has 1);
- ``min_brier_skill``: 1 − Brier / Brier of the prior-only baseline at least this;
- ``max_ece``: 10-bin expected calibration error at most this;
- ``champion_tolerance``: ROC-AUC may be at most this much below the champion's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from vigia.evaluate.gates import Check, Decision


def _at_least(name: str, value: float, limit: float, text: str) -> Check:
    ok = value >= limit
    return Check(name, ok, value, limit, f"{text} {value:.4f} {'>=' if ok else '<'} {limit:.4f}")


def risk_gate(
    model: str,
    test: dict[str, Any],
    prior: dict[str, Any],
    config: dict[str, Any],
    champion_metrics: dict[str, float] | None,
    leaks: list[str] | None = None,
) -> Decision:
    """Decide whether a risk model may be promoted and pushed.

    Args:
        model: Name of the candidate (its family).
        test: The candidate's test metrics (``roc_auc``, ``pr_auc``, ``brier``, ``ece``,
            ``prevalence``).
        prior: The prior-only baseline's test metrics on the same rows.
        config: Thresholds (the ``[risk]`` section); empty → not approved.
        champion_metrics: The champion's recorded metrics (``roc_auc``), or None.
        leaks: Features that reproduce the target exactly (:func:`target_leaks`); when given,
            the leak check is always applied (not configurable): any leak refuses approval.
    """
    checks: list[Check] = []
    if leaks is not None:
        checks.append(
            Check("target_leak", False, float(len(leaks)), 0.0,
                  f"feature(s) {', '.join(leaks)} reproduce the target exactly (a leak: the "
                  "value is known only once the outcome is); remove them from the data")
            if leaks
            else Check("target_leak", True, 0.0, 0.0, "no feature reproduces the target")
        )  # fmt: skip
    if "min_roc_auc" in config:
        checks.append(
            _at_least(
                "roc_auc", float(test["roc_auc"]), float(config["min_roc_auc"]), "test ROC-AUC"
            )
        )
    if "min_pr_auc_lift" in config:
        lift = float(test["pr_auc"]) / max(float(test["prevalence"]), 1e-12)
        checks.append(
            _at_least(
                "pr_auc_lift",
                lift,
                float(config["min_pr_auc_lift"]),
                "PR-AUC / prevalence (prior-only = 1)",
            )
        )
    if "min_brier_skill" in config:
        skill = 1.0 - float(test["brier"]) / max(float(prior["brier"]), 1e-12)
        checks.append(
            _at_least(
                "brier_skill",
                skill,
                float(config["min_brier_skill"]),
                f"Brier skill vs prior-only (Brier {test['brier']:.4f} vs {prior['brier']:.4f})",
            )
        )
    if "max_ece" in config:
        limit, value = float(config["max_ece"]), float(test["ece"])
        ok = value <= limit
        checks.append(
            Check(
                "ece",
                ok,
                value,
                limit,
                f"calibration error (10-bin ECE) {value:.4f} {'<=' if ok else '>'} {limit:.4f}",
            )
        )
    if "champion_tolerance" in config:
        tolerance, value = float(config["champion_tolerance"]), float(test["roc_auc"])
        if not champion_metrics or "roc_auc" not in champion_metrics:
            checks.append(
                Check("champion", True, value, None, "no champion yet: nothing to compare against")
            )
        else:
            best = float(champion_metrics["roc_auc"])
            ok = value >= best - tolerance
            checks.append(
                Check(
                    "champion",
                    ok,
                    value,
                    best - tolerance,
                    f"ROC-AUC {value:.4f} vs champion {best:.4f} (tolerance {tolerance:.4f})",
                )
            )
    return Decision.of(model, checks)


def target_leaks(table: pd.DataFrame, features: list[str], target: str) -> list[str]:
    """Features whose value determines the target in every row and that take no more values
    than the target does (a copy of the outcome under another name or coding: the EDA flags
    them with ROC-AUC 1.0). A model trained on one must never be approved."""
    leaks = []
    y = table[target]
    classes = y.nunique()
    for name in features:
        values = table[name]
        if values.isna().any() or values.nunique() > classes:
            continue
        if (y.groupby(values.astype(str), sort=False).nunique() == 1).all():
            leaks.append(name)
    return leaks
