"""Thresholds of a risk-model monitoring check (``configs/risk-monitor.toml``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from vigia.configs import read_toml
from vigia.errors import VigiaError

NUM_METHODS = ("wasserstein", "ks", "psi", "jensenshannon", "kl_div", "hellinger", "ed")
CAT_METHODS = ("jensenshannon", "chisquare", "psi", "kl_div", "hellinger", "TVD")


@dataclass(frozen=True)
class RiskMonitorConfig:
    """Every threshold of a risk check (see ``configs/risk-monitor.toml`` for their meaning)."""

    days: int = 28
    min_rows: int = 200
    num_method: str = "wasserstein"
    num_threshold: float = 0.15
    cat_method: str = "jensenshannon"
    cat_threshold: float = 0.25
    exclude: dict[str, tuple[str, ...]] = field(default_factory=dict)
    drifted_features_warn: int = 1
    drift_share_warn: float = 0.2
    drift_share_retrain: float = 0.6
    score_drift_warn: bool = False
    estimated_auc_drop_warn: float = 0.03
    realized_auc_drop_retrain: float = 0.05
    realized_ece_warn: float = 0.05
    min_labelled: int = 200
    retrain_cooldown_weeks: int = 8
    source: str = field(default="defaults", compare=False)

    def excluded(self, model: str) -> tuple[str, ...]:
        return self.exclude.get(model, ())

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["exclude"] = {k: list(v) for k, v in self.exclude.items()}
        return out


SECTIONS = {
    "window": ("days", "min_rows"),
    "drift": ("num_method", "num_threshold", "cat_method", "cat_threshold", "exclude"),
    "decision": (
        "drifted_features_warn",
        "drift_share_warn",
        "drift_share_retrain",
        "score_drift_warn",
        "estimated_auc_drop_warn",
        "realized_auc_drop_retrain",
        "realized_ece_warn",
        "min_labelled",
        "retrain_cooldown_weeks",
    ),
}


def load_risk_monitor_config(path: str | Path | None = None) -> RiskMonitorConfig:
    """Thresholds from ``path`` or the packaged ``configs/risk-monitor.toml``.

    Raises:
        VigiaError: The file cannot be read, is not TOML, or holds an unknown key or bad value.
    """
    data, label = read_toml(path, "risk-monitor.toml", "risk monitoring config")
    defaults = RiskMonitorConfig()
    values: dict[str, Any] = {}
    for section, content in data.items():
        if section not in SECTIONS or not isinstance(content, dict):
            raise VigiaError(f"{label}: unknown section [{section}]; use {', '.join(SECTIONS)}")
        for key, value in content.items():
            if key not in SECTIONS[section]:
                raise VigiaError(
                    f"{label}: unknown key {key!r} in [{section}]; "
                    f"known: {', '.join(SECTIONS[section])}"
                )
            values[key] = _typed(label, key, value, getattr(defaults, key))
    return _checked(replace(defaults, **values, source=label), label)


def _typed(label: str, key: str, value: Any, default: Any) -> Any:
    if key == "exclude":
        if not isinstance(value, dict) or not all(
            isinstance(v, list) and all(isinstance(c, str) for c in v) for v in value.values()
        ):
            raise VigiaError(f"{label}: [drift.exclude] maps model names to lists of features")
        return {str(k): tuple(v) for k, v in value.items()}
    expected = type(default)
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
        raise VigiaError(f"{label}: {key} must be {expected.__name__}, got {type(value).__name__}")
    return value


def _checked(config: RiskMonitorConfig, label: str) -> RiskMonitorConfig:
    if min(config.days, config.min_rows, config.min_labelled, config.drifted_features_warn) < 1:
        raise VigiaError(
            f"{label}: days, min_rows, min_labelled and drifted_features_warn must be at least 1"
        )
    if not 0.0 < config.drift_share_warn <= config.drift_share_retrain <= 1.0:
        raise VigiaError(f"{label}: need 0 < drift_share_warn <= drift_share_retrain <= 1")
    if config.num_method not in NUM_METHODS or config.cat_method not in CAT_METHODS:
        raise VigiaError(
            f"{label}: num_method must be one of {', '.join(NUM_METHODS)} and cat_method one of "
            f"{', '.join(CAT_METHODS)}"
        )
    numbers = ("num_threshold", "cat_threshold", "estimated_auc_drop_warn",
               "realized_auc_drop_retrain", "realized_ece_warn")  # fmt: skip
    if any(getattr(config, name) <= 0 for name in numbers) or config.retrain_cooldown_weeks < 0:
        raise VigiaError(f"{label}: thresholds must be positive")
    return config
