"""Approval gates: a model is approved only if every configured check passes.

No thresholds configured → not approved. The decision and its reasons are written as an
artifact and stored with the model version, so "why is this model live?" always has an answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vigia.configs import config_text, parse_toml, read_toml
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
    # What each configured check means (check key → explanation), shown in the artifact.
    explanations: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, model: str, checks: list[Check], explanations: dict[str, str] | None = None
    ) -> Decision:
        """Approved only if there are checks and all pass: no thresholds → not approved."""
        if not checks:
            message = "no gate thresholds configured: nothing is approved"
            checks = [Check("configured", False, None, None, message)]
        approved = all(c.passed for c in checks)
        return cls(model=model, approved=approved, checks=checks, explanations=explanations or {})

    @property
    def reasons(self) -> list[str]:
        return [("PASS " if c.passed else "FAIL ") + c.message for c in self.checks]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "approved": self.approved,
            "checks": [asdict(c) for c in self.checks],
            "reasons": self.reasons,
            "explanations": dict(self.explanations),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        return cls(
            model=data["model"],
            approved=bool(data["approved"]),
            checks=[Check(**c) for c in data["checks"]],
            explanations=dict(data.get("explanations", {})),
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
        if self.explanations:
            lines += ["", "What the checks mean (configured in `gates.toml`):", ""]
            lines += [f"- `{key}`: {text}" for key, text in self.explanations.items()]
        return "\n".join(lines) + "\n"


def load_gate_config(path: str | Path | None = None, section: str = "forecast") -> dict[str, Any]:
    """Thresholds of one gate section, from ``path`` or the packaged ``configs/gates.toml``."""
    config, _ = read_toml(path, "gates.toml", "gate config")
    return _section(config, section)


def parse_gate_config(text: str, section: str = "forecast") -> dict[str, Any]:
    """Thresholds of one gate section from the TOML text a pipeline step receives (empty text:
    no thresholds, so nothing is approved)."""
    return _section(parse_toml(text, "gate config"), section) if text.strip() else {}


def _section(config: dict[str, Any], section: str) -> dict[str, Any]:
    values = config.get(section, {})
    if not isinstance(values, dict):
        raise VigiaError(f"gate config: [{section}] must be a table")
    return values


def gate_config_text(path: str | Path | None = None) -> str:
    """The gate TOML to pass to a pipeline (the packaged default unless ``path``), validated
    first: a clear error now instead of a failed task later."""
    text, label = config_text(path, "gates.toml", "gate config")
    _section(parse_toml(text, label), "forecast")
    return text


FORECAST_CHECKS = {
    "max_relative_wis": "mean WIS of the candidate / mean WIS of persistence over the same "
    "backtest rows must be below this",
    "coverage_90_band": "share of observations inside the central 90 % interval must lie in "
    "[low, high]: too low = overconfident, too high = needlessly wide",
    "champion_tolerance": "relative WIS may exceed the current champion's by at most this",
    "max_region_relative_wis": "in every region whose persistence WIS is at least "
    "region_min_baseline_wis, the candidate's WIS / persistence's WIS must be at most this",
}


def forecast_gate(
    model: str,
    scores: dict[str, float],
    config: dict[str, Any],
    champion_scores: dict[str, float] | None,
    regions: dict[str, dict[str, float]] | None = None,
    scope: dict[str, Any] | None = None,
    champion_scope: dict[str, Any] | None = None,
    replaces_scope: bool = False,
) -> Decision:
    """Decide whether a forecaster may be promoted and pushed.

    Every key present in ``config`` is a check (see ``configs/gates.toml`` and
    ``FORECAST_CHECKS``); all must pass. A configured check whose numbers are missing fails.

    Args:
        model: Name of the candidate method (its key in the backtest).
        scores: The candidate's backtest summary (``relative_wis``, ``coverage_90`` …).
        config: Thresholds (see ``configs/gates.toml``); empty → not approved.
        champion_scores: The current champion's recorded summary, or None if there is none.
        regions: Per-region summaries of the candidate (``wis``, ``relative_wis``) and the
            baseline's WIS as ``baseline_wis``; needed by ``max_region_relative_wis``.
        scope: What the candidate covers (``regions``, ``horizons``, ``source``); with
            ``champion_scope`` the compatibility check is always applied (not configurable).
        champion_scope: What the champion covers (recorded when it was registered).
        replaces_scope: The run says explicitly that it replaces the model's scope.
    """
    checks: list[Check] = []
    if scope is not None:
        checks.append(scope_check(scope, champion_scope, replaces_scope))
    if "max_relative_wis" in config:
        checks.append(_relative_wis_check(scores, float(config["max_relative_wis"])))
    if "coverage_90_band" in config:
        checks.append(_coverage_check(scores, config["coverage_90_band"]))
    if "champion_tolerance" in config:
        checks.append(_champion_check(scores, champion_scores, float(config["champion_tolerance"])))
    if "max_region_relative_wis" in config:
        checks.append(
            _region_check(
                regions,
                float(config["max_region_relative_wis"]),
                float(config.get("region_min_baseline_wis", 0.0)),
            )
        )
    explanations = {
        f"{key} = {config[key]}": text for key, text in FORECAST_CHECKS.items() if key in config
    }
    return Decision.of(model, checks, explanations)


SCOPE_KEYS = ("regions", "horizons", "source")


def scope_check(
    candidate: dict[str, Any], champion: dict[str, Any] | None, replaces_scope: bool = False
) -> Check:
    """The candidate must answer for what the champion answers for: the same regions, horizons
    and data source. A model trained on 3 regions must not replace one serving 21 (the other
    18 would answer 404) unless the run says it replaces the scope."""
    if champion is None:
        return Check("scope", True, None, None, "no champion scope recorded: nothing to compare")
    differences = []
    for key in SCOPE_KEYS:
        mine, theirs = candidate.get(key), champion.get(key)
        if theirs is None or mine == theirs:
            continue
        if key == "regions":
            lost = sorted(set(theirs) - set(mine or []))
            added = sorted(set(mine or []) - set(theirs))
            parts = [f"{len(lost)} champion regions missing ({', '.join(lost[:5])}"
                     + (" …" if len(lost) > 5 else "") + ")"] if lost else []  # fmt: skip
            parts += [f"{len(added)} new ({', '.join(added[:5])})"] if added else []
            differences.append("regions differ: " + "; ".join(parts))
        else:
            differences.append(f"{key} {mine} differs from the champion's {theirs}")
    if not differences:
        return Check("scope", True, None, None, "same regions, horizons and data source")
    if replaces_scope:
        return Check(
            "scope", True, None, None,
            "replaces the champion's scope as the run asked: " + "; ".join(differences),
        )  # fmt: skip
    return Check(
        "scope", False, None, None,
        "incompatible with the champion: " + "; ".join(differences)
        + " (run with replace_scope to replace the model's scope on purpose)",
    )  # fmt: skip


def _missing(name: str, what: str) -> Check:
    return Check(name, False, None, None, f"{what} missing from the scores: cannot approve")


def _relative_wis_check(scores: dict[str, float], limit: float) -> Check:
    if "relative_wis" not in scores:
        return _missing("relative_wis", "relative WIS")
    value = float(scores["relative_wis"])
    ok = value < limit
    return Check(
        "relative_wis",
        ok,
        value,
        limit,
        f"WIS relative to persistence {value:.3f} {'<' if ok else '>='} {limit:.3f}",
    )


def _coverage_check(scores: dict[str, float], band: Any) -> Check:
    try:
        low, high = (float(x) for x in band)
    except (TypeError, ValueError):
        raise VigiaError(
            f"gate config: coverage_90_band must be [low, high], got {band!r}"
        ) from None
    if "coverage_90" not in scores:
        return _missing("coverage_90", "90 % interval coverage")
    value = float(scores["coverage_90"])
    ok = low <= value <= high
    where = "inside" if ok else ("below" if value < low else "above")
    return Check(
        "coverage_90",
        ok,
        value,
        low if value < low else high,
        f"90 % interval coverage {value:.3f} {where} [{low:.2f}, {high:.2f}]",
    )


def _champion_check(
    scores: dict[str, float], champion: dict[str, float] | None, tolerance: float
) -> Check:
    if "relative_wis" not in scores:
        return _missing("champion", "relative WIS")
    value = float(scores["relative_wis"])
    if champion is None or "relative_wis" not in champion:
        return Check("champion", True, value, None, "no champion yet: nothing to compare against")
    best = float(champion["relative_wis"])
    ok = value <= best + tolerance
    return Check(
        "champion",
        ok,
        value,
        best + tolerance,
        f"relative WIS {value:.3f} vs champion {best:.3f} (tolerance {tolerance:.3f})",
    )


def _region_check(
    regions: dict[str, dict[str, float]] | None, limit: float, min_baseline_wis: float
) -> Check:
    if not regions:
        return _missing("regions", "per-region scores")
    judged = {
        name: float(s["relative_wis"])
        for name, s in regions.items()
        if float(s.get("baseline_wis", 0.0)) >= min_baseline_wis
    }
    if not judged:
        return Check(
            "regions",
            True,
            None,
            limit,
            f"no region has a persistence WIS of at least {min_baseline_wis:g}: nothing to check",
        )
    worst = max(judged, key=lambda r: judged[r])
    failing = sorted(
        ((r, v) for r, v in judged.items() if v > limit), key=lambda rv: rv[1], reverse=True
    )
    skipped = len(regions) - len(judged)
    note = f" ({skipped} near-empty region(s) not judged)" if skipped else ""
    if failing:
        named = ", ".join(f"{r} {v:.2f}" for r, v in failing)
        message = f"per-region WIS relative to persistence above {limit:.2f}: {named}{note}"
    else:
        message = (
            f"every region at most {limit:.2f} × persistence's WIS; worst {worst} "
            f"{judged[worst]:.2f}{note}"
        )
    return Check("regions", not failing, judged[worst], limit, message)
