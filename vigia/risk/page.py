"""The health worker's risk page, as pure functions: the form (from the model's V2 metadata and
what its inputs accept), per-field validation, the action tier and the top factors in words.

Labels, patient fields and tiers come from ``configs/risk-page.toml`` (a model without a section
gets the defaults, so any classifier the pipeline pushes has a page). Nothing here stores
anything: a submission lives only for its request; the model server's payload log keeps the
feature values as for every request (no identifiers).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vigia.configs import read_toml
from vigia.errors import VigiaError

LANGS = ("es", "en")
TOP_FACTORS = 3

MESSAGES = {
    "required": {"es": "Este dato es obligatorio.", "en": "This value is required."},
    "number": {"es": "Escriba un número.", "en": "Enter a number."},
    "range": {
        "es": "Debe estar entre {low} y {high} (lo visto en los datos de entrenamiento).",
        "en": "Must be between {low} and {high} (what the training data held).",
    },
    "choice": {
        "es": "Elija un valor de la lista.",
        "en": "Choose a value from the list.",
    },
    "unknown": {"es": "Campo desconocido para este modelo.", "en": "Unknown field for this model."},
}


@dataclass(frozen=True)
class Tier:
    start: float
    level: str
    name: dict[str, str]
    action: dict[str, str]
    source: dict[str, str]

    def to_dict(self) -> dict[str, Any]:
        return {"from": self.start, "level": self.level, "name": self.name,
                "action": self.action, "source": self.source}  # fmt: skip


@dataclass(frozen=True)
class PageConfig:
    """What ``configs/risk-page.toml`` says about one model."""

    title: dict[str, str]
    labels: dict[str, dict[str, str]]
    values: dict[str, dict[str, dict[str, str]]]
    patient_fields: list[str]
    tiers: list[dict[str, Any]]


def _text(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(value.get(k), str) for k in LANGS):
        raise VigiaError(f"risk page config: {where} needs text in 'es' and 'en'")
    return {k: value[k] for k in LANGS}


def load_page_config(model: str, path: str | Path | None = None) -> PageConfig:
    """The page settings of ``model`` (its section, else ``[default]``).

    Raises:
        VigiaError: The file is not valid TOML or a text lacks a language.
    """
    data, _ = read_toml(path, "risk-page.toml", "risk page config")
    section = data.get("models", {}).get(model, {})
    tiers = section.get("tiers") or data.get("default", {}).get("tiers", [])
    if not tiers:
        raise VigiaError(f"risk page config: no tiers for {model} and no [default] tiers")
    title = section.get("title") or {"es": f"Riesgo: {model}", "en": f"Risk: {model}"}
    return PageConfig(
        title=_text(title, f"{model}.title"),
        labels={k: _text(v, f"{model}.labels.{k}") for k, v in section.get("labels", {}).items()},
        values={
            field: {value: _text(t, f"{model}.values.{field}.{value}") for value, t in m.items()}
            for field, m in section.get("values", {}).items()
        },
        patient_fields=list(section.get("patient_fields", [])),
        tiers=list(tiers),
    )


def resolve_tiers(config: PageConfig, threshold: float) -> list[Tier]:
    """The tiers with ``"threshold"`` replaced by the model's threshold, ordered by start."""
    tiers = []
    for i, raw in enumerate(config.tiers):
        start = raw.get("from", 0.0)
        start = threshold if start == "threshold" else start
        if not isinstance(start, int | float) or not 0.0 <= float(start) <= 1.0:
            raise VigiaError(f"risk page config: tier {i + 1} 'from' must be 0–1 or \"threshold\"")
        tiers.append(
            Tier(float(start), str(raw.get("level", f"tier{i + 1}")),
                 _text(raw.get("name"), f"tier {i + 1} name"),
                 _text(raw.get("action"), f"tier {i + 1} action"),
                 _text(raw.get("source"), f"tier {i + 1} source"))
        )  # fmt: skip
    return sorted(tiers, key=lambda t: t.start)


def tier_for(probability: float, tiers: list[Tier]) -> Tier:
    """The last tier whose start is at or below ``probability`` (the first if none is)."""
    chosen = tiers[0]
    for tier in tiers:
        if probability >= tier.start:
            chosen = tier
    return chosen


def humanize(name: str) -> str:
    return name.replace("_", " ").strip().capitalize()


def form_fields(
    metadata_inputs: list[dict[str, Any]],
    parameters: dict[str, dict[str, Any]],
    config: PageConfig,
) -> list[dict[str, Any]]:
    """One form field per V2 input: name, labels, type (``number``/``choice``/``text``), allowed
    values or range, default (the training median or most frequent value), patient or context."""
    fields = []
    for spec in metadata_inputs:
        name = str(spec["name"])
        accepts = parameters.get(name, {})
        numeric = spec.get("datatype") != "BYTES"
        label = config.labels.get(name, {"es": humanize(name), "en": humanize(name)})
        field: dict[str, Any] = {
            "name": name,
            "label": label,
            "datatype": spec.get("datatype"),
            "nullable": bool(accepts.get("nullable", False)),
            "patient": name in config.patient_fields or not config.patient_fields,
        }
        if numeric:
            low, high, median = (accepts.get(k) for k in ("minimum", "maximum", "median"))
            field.update(type="number", minimum=low, maximum=high)
            field["default"] = None if median is None else _round(median, low, high)
        else:
            categories = [str(c) for c in accepts.get("categories", [])]
            complete = bool(accepts.get("complete")) and bool(categories)
            names = config.values.get(name, {})
            field.update(
                type="choice" if complete else "text",
                options=[{"value": c, "label": names.get(c, {"es": c, "en": c})}
                         for c in (sorted(categories) if complete else categories)],
                default=categories[0] if categories else None,
            )  # fmt: skip
        fields.append(field)
    patient = [f for f in fields if f["patient"]]
    order = {name: i for i, name in enumerate(config.patient_fields)}
    patient.sort(key=lambda f: order.get(f["name"], len(order)))
    return patient + [f for f in fields if not f["patient"]]


def _round(value: float, low: float | None, high: float | None) -> float:
    whole = (
        low is not None
        and high is not None
        and float(low).is_integer()
        and float(high).is_integer()
    )
    return float(round(value)) if whole and high is not None and high > 1 else round(value, 4)


def _parse_number(raw: Any) -> float | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | float):
        number = float(raw)
    else:
        try:
            number = float(str(raw).strip().replace(",", "."))
        except ValueError:
            return None
    return number if math.isfinite(number) else None


def validate_submission(
    values: dict[str, Any], fields: list[dict[str, Any]], lang: str
) -> tuple[dict[str, Any], dict[str, str]]:
    """``(instance, errors)``: the V1 instance of a form submission, or per-field messages in
    ``lang`` for every value that is missing, not a number, out of range or not an option."""
    lang = lang if lang in LANGS else LANGS[0]
    instance: dict[str, Any] = {}
    errors: dict[str, str] = {}
    known = {f["name"] for f in fields}
    for name in values:
        if name not in known:
            errors[str(name)] = MESSAGES["unknown"][lang]
    for field in fields:
        name = field["name"]
        raw = values.get(name)
        empty = raw is None or (isinstance(raw, str) and not raw.strip())
        if empty:
            if field["nullable"]:
                instance[name] = None
            else:
                errors[name] = MESSAGES["required"][lang]
            continue
        if field["type"] == "number":
            number = _parse_number(raw)
            if number is None:
                errors[name] = MESSAGES["number"][lang]
                continue
            low, high = field.get("minimum"), field.get("maximum")
            if (low is not None and number < low) or (high is not None and number > high):
                errors[name] = MESSAGES["range"][lang].format(low=_show(low), high=_show(high))
                continue
            instance[name] = number
            continue
        text = str(raw).strip()
        if field["type"] == "choice":
            by_key = {o["value"].casefold(): o["value"] for o in field["options"]}
            if text.casefold() not in by_key:
                errors[name] = MESSAGES["choice"][lang]
                continue
            text = by_key[text.casefold()]
        instance[name] = text
    return instance, errors


def _show(value: float | None) -> str:
    if value is None:
        return "–"
    return str(int(value)) if float(value).is_integer() else f"{value:.3g}"


def top_factors(
    contributions: dict[str, float],
    instance: dict[str, Any],
    fields: list[dict[str, Any]],
    lang: str,
    top: int = TOP_FACTORS,
) -> list[dict[str, Any]]:
    """The ``top`` largest contributions in plain words: the field's label, the value entered,
    whether it raises or lowers the risk, and its share of the largest one (for a bar)."""
    lang = lang if lang in LANGS else LANGS[0]
    by_name = {f["name"]: f for f in fields}
    ranked = sorted(
        ((k, v) for k, v in contributions.items() if k in by_name and v != 0),
        key=lambda kv: -abs(kv[1]),
    )[:top]
    if not ranked:
        return []
    largest = abs(ranked[0][1])
    words = {
        "es": ("aumenta el riesgo", "reduce el riesgo", "sin dato"),
        "en": ("raises the risk", "lowers the risk", "missing"),
    }[lang]
    out = []
    for name, value in ranked:
        field = by_name[name]
        entered = instance.get(name)
        shown = words[2] if entered is None else _option_label(field, entered, lang)
        direction = words[0] if value > 0 else words[1]
        out.append(
            {
                "field": name,
                "label": field["label"][lang],
                "value": shown,
                "direction": "up" if value > 0 else "down",
                "text": f"{field['label'][lang]}: {shown} — {direction}",
                "weight": abs(value) / largest,
            }
        )
    return out


def _option_label(field: dict[str, Any], value: Any, lang: str) -> str:
    for option in field.get("options", []):
        if option["value"] == value:
            return str(option["label"][lang])
    return _show(value) if isinstance(value, float) else str(value)
