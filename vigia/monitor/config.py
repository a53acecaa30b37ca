"""Monitoring thresholds: windows, drift test, decision triggers (``configs/monitor.toml``)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from vigia.configs import config_text, parse_toml
from vigia.errors import VigiaError

# Evidently's names of the numeric drift methods we allow (short name → Evidently's stattest).
DRIFT_METHODS = ("wasserstein", "ks", "psi", "jensenshannon", "kl_div", "hellinger", "ed")


@dataclass(frozen=True)
class MonitorConfig:
    """Every threshold of a monitoring check (see ``configs/monitor.toml`` for their meaning)."""

    weeks: int = 4
    performance_weeks: int = 8
    reference_prediction_weeks: int = 52
    exclude: tuple[str, ...] = ("woy_sin", "woy_cos")
    method: str = "wasserstein"
    threshold: float = 0.5
    min_rows: int = 40
    drift_share_warn: float = 0.35
    drift_share_retrain: float = 0.6
    prediction_drift_warn: float = 0.5
    relative_wis_warn: float = 1.0
    degradation_retrain: float = 0.2
    min_scored: int = 80
    new_weeks_retrain: int = 0
    retrain_cooldown_weeks: int = 8
    source: str = field(default="defaults", compare=False)

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["exclude"] = list(self.exclude)
        return out

    def with_overrides(self, **values: Any) -> MonitorConfig:
        """A copy with some thresholds changed (unknown names are a VigiaError)."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise VigiaError(f"unknown monitoring setting(s): {', '.join(unknown)}")
        return _checked(replace(self, **values))


SECTIONS = {
    "window": ("weeks", "performance_weeks", "reference_prediction_weeks"),
    "drift": ("exclude", "method", "threshold", "min_rows"),
    "decision": (
        "drift_share_warn",
        "drift_share_retrain",
        "prediction_drift_warn",
        "relative_wis_warn",
        "degradation_retrain",
        "min_scored",
        "new_weeks_retrain",
        "retrain_cooldown_weeks",
    ),
}


def load_monitor_config(path: str | Path | None = None) -> MonitorConfig:
    """Thresholds from ``path`` (TOML with [window], [drift], [decision]) or the packaged
    ``configs/monitor.toml``. Keys left out keep their defaults.

    Raises:
        VigiaError: The file cannot be read, is not TOML, or holds an unknown key or bad value.
    """
    return parse_monitor_config(*config_text(path, "monitor.toml", "monitoring config"))


def monitor_config_text(path: str | Path | None = None) -> str:
    """The monitoring TOML to pass to a pipeline (packaged default unless ``path``), validated."""
    text, label = config_text(path, "monitor.toml", "monitoring config")
    parse_monitor_config(text, label)
    return text


def parse_monitor_config(text: str, label: str = "monitoring config") -> MonitorConfig:
    """Thresholds from TOML text (see :func:`load_monitor_config`)."""
    data = parse_toml(text, label)
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
            values[key] = tuple(value) if key == "exclude" else value
    defaults = MonitorConfig()
    for key, value in values.items():
        expected = type(getattr(defaults, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            values[key] = float(value)
        elif not isinstance(value, expected) or isinstance(value, bool):
            raise VigiaError(
                f"{label}: {key} must be {expected.__name__}, got {type(value).__name__}"
            )
    return _checked(replace(defaults, **values, source=label))


def _checked(config: MonitorConfig) -> MonitorConfig:
    positive = ("weeks", "performance_weeks", "reference_prediction_weeks", "min_rows")
    for name in positive:
        if getattr(config, name) < 1:
            raise VigiaError(f"monitoring config: {name} must be at least 1")
    for name in ("min_scored", "new_weeks_retrain", "retrain_cooldown_weeks"):
        if getattr(config, name) < 0:
            raise VigiaError(f"monitoring config: {name} cannot be negative")
    for name in ("drift_share_warn", "drift_share_retrain", "prediction_drift_warn"):
        if not 0.0 < getattr(config, name) <= 1.0:
            raise VigiaError(f"monitoring config: {name} must be in (0, 1]")
    if config.drift_share_retrain < config.drift_share_warn:
        raise VigiaError("monitoring config: drift_share_retrain is below drift_share_warn")
    if config.threshold <= 0 or config.relative_wis_warn <= 0 or config.degradation_retrain < 0:
        raise VigiaError("monitoring config: thresholds must be positive")
    if config.method not in DRIFT_METHODS:
        raise VigiaError(
            f"monitoring config: method {config.method!r} not in {', '.join(DRIFT_METHODS)}"
        )
    return config
