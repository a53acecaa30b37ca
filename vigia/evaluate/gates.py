"""Approval gates: a model is approved only if every configured check passes.

No thresholds configured → not approved. The decision and its reasons are written as an
artifact and stored with the model version, so "why is this model live?" always has an answer.
"""

from __future__ import annotations

import importlib.resources
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vigia.errors import VigiaError


@dataclass
class Check:
    """One gate check with the numbers it compared."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    message: str


@dataclass
class Decision:
    """The gate's verdict on one candidate model."""

    model: str
    approved: bool
    checks: list[Check] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        return [("PASS " if c.passed else "FAIL ") + c.message for c in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "approved": self.approved,
            "checks": [asdict(c) for c in self.checks],
            "reasons": self.reasons,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(
            model=data["model"],
            approved=bool(data["approved"]),
            checks=[Check(**c) for c in data["checks"]],
        )

    def to_markdown(self) -> str:
        verdict = "APPROVED" if self.approved else "NOT APPROVED"
        lines = [
            f"# Gate decision: {verdict}",
            "",
            f"Model: `{self.model}`",
            "",
            "| check | result | value | threshold | detail |",
            "|---|---|---:|---:|---|",
        ]
        for c in self.checks:
            value = "" if c.value is None else f"{c.value:.4g}"
            threshold = "" if c.threshold is None else f"{c.threshold:.4g}"
            lines.append(
                f"| {c.name} | {'pass' if c.passed else 'FAIL'} | {value} | "
                f"{threshold} | {c.message} |"
            )
        return "\n".join(lines) + "\n"


def load_gate_config(path: str | Path | None = None, section: str = "forecast") -> dict[str, Any]:
    """Thresholds of one gate section, from ``path`` or the packaged ``configs/gates.toml``."""
    if path is None:
        text = (importlib.resources.files("vigia") / "configs" / "gates.toml").read_text("utf-8")
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise VigiaError(f"gate config {path}: {exc.strerror}") from None
    try:
        config = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise VigiaError(f"gate config {path or 'gates.toml'}: invalid TOML ({exc})") from None
    values = config.get(section, {})
    if not isinstance(values, dict):
        raise VigiaError(f"gate config: [{section}] must be a table")
    return values


def forecast_gate(
    model: str,
    scores: dict[str, float],
    config: dict[str, Any],
    champion_scores: dict[str, float] | None,
) -> Decision:
    """Decide whether a forecaster may be promoted and pushed.

    Args:
        model: Name of the candidate method (its key in the backtest).
        scores: The candidate's backtest summary (``relative_wis`` etc.).
        config: Thresholds (see ``configs/gates.toml``); empty → not approved.
        champion_scores: The current champion's recorded summary, or None if there is none.
    """
    checks: list[Check] = []
    if "max_relative_wis" in config:
        limit = float(config["max_relative_wis"])
        value = float(scores["relative_wis"])
        checks.append(
            Check(
                "relative_wis",
                value < limit,
                value,
                limit,
                f"WIS relative to persistence {value:.3f} "
                f"{'<' if value < limit else '>='} {limit:.3f}",
            )
        )
    if "champion_tolerance" in config:
        tolerance = float(config["champion_tolerance"])
        value = float(scores["relative_wis"])
        if champion_scores is None or "relative_wis" not in champion_scores:
            checks.append(
                Check("champion", True, value, None, "no champion yet: nothing to compare against")
            )
        else:
            best = float(champion_scores["relative_wis"])
            ok = value <= best + tolerance
            checks.append(
                Check(
                    "champion",
                    ok,
                    value,
                    best + tolerance,
                    f"relative WIS {value:.3f} vs champion {best:.3f} (tolerance {tolerance:.3f})",
                )
            )
    if not checks:
        checks.append(
            Check(
                "configured",
                False,
                None,
                None,
                "no gate thresholds configured: nothing is approved",
            )
        )
    return Decision(model=model, approved=all(c.passed for c in checks), checks=checks)
