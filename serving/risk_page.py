"""The health worker's risk page, served by the model server itself (same process, same port):

    GET  /risk                    the risk models served here, as links
    GET  /risk/{model}            the page (phone-sized form, Spanish/English)
    GET  /risk/{model}/form       the form: the model's V2 metadata (the same DataPlane call as
                                  GET /v2/models/{model}) + what each input accepts, labels, tiers
    POST /risk/{model}/assess     {"values": {...}, "lang": "es"|"en"} → probability, action tier
                                  with its guideline text, top factors in words; or 422 with one
                                  message per field

An assessment is an ordinary V1 prediction of the live version (counted in the metrics, written
to the payload log like any request: feature values only, no identifiers); the page stores
nothing else. Factors are the model's contributions (XGBoost: exact SHAP values) or, for other
families, the change in probability when a value is replaced by the training median / most
frequent value (computed on the model in memory, not logged). Domain logic: :mod:`vigia.risk.page`.
"""

from __future__ import annotations

import asyncio
import html
import importlib.resources
import json
import re
import uuid
from typing import Any

import pandas as pd
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from kserve.protocol.dataplane import DataPlane

from vigia.errors import VigiaError
from vigia.risk.page import (
    LANGS,
    MESSAGES,
    form_fields,
    load_page_config,
    resolve_tiers,
    tier_for,
    top_factors,
    validate_submission,
)
from vigia.serving.errors import PredictionFailed, RequestRejected
from vigia.serving.model import VigiaModel

FIELD_IN_MESSAGE = re.compile(r"instances\[0\]\.(\w+)")


def _page_html(model: str) -> str:
    template = (importlib.resources.files("vigia.risk") / "page.html").read_text("utf-8")
    return template.replace("__MODEL__", html.escape(model, quote=True))


def _classifier(dataplane: DataPlane, name: str) -> VigiaModel | None:
    model = dataplane.model_registry.get_model(name)
    if not isinstance(model, VigiaModel) or model.live is None:
        return None
    return model if model.live.servable.kind == "classifier" else None


def _missing(name: str) -> JSONResponse:
    return JSONResponse({"error": f"no risk model named {name!r} is served here"}, 404)


async def _form(dataplane: DataPlane, model: VigiaModel) -> dict[str, Any]:
    metadata = await dataplane.model_metadata(model.name)
    servable: Any = model.live.servable if model.live else None
    config = load_page_config(model.name)
    parameters = getattr(servable, "input_parameters", {})
    threshold = float(getattr(servable, "threshold", 0.5))
    return {
        "model": model.name,
        "version": metadata.get("versions"),
        "title": config.title,
        "threshold": threshold,
        "fields": form_fields(metadata["inputs"], parameters, config),
        "tiers": [t.to_dict() for t in resolve_tiers(config, threshold)],
        "messages": MESSAGES,  # the page checks values before sending, with the same words
    }


def _occlusion(
    servable: Any, instance: dict[str, Any], fields: list[dict[str, Any]]
) -> dict[str, float]:
    """Probability change when each value is replaced by its typical value (not logged)."""
    names = [f["name"] for f in fields]
    base = pd.DataFrame([instance], columns=names)
    rows = [base]
    changed = []
    for f in fields:
        typical = f.get("default")
        if typical is None or instance.get(f["name"]) == typical:
            continue
        row = base.copy()
        row[f["name"]] = typical
        rows.append(row)
        changed.append(f["name"])
    if not changed:
        return {}
    frame = servable.parse_v1({"instances": pd.concat(rows).to_dict(orient="records")})
    p = servable.model.predict_proba(frame)
    return {name: float(p[0] - p[i + 1]) for i, name in enumerate(changed)}


def _assess_sync(
    model: VigiaModel, form: dict[str, Any], instance: dict[str, Any], lang: str
) -> dict[str, Any]:
    live = model.live
    assert live is not None
    reply = model.predict({"instances": [instance]}, {"x-request-id": f"page-{uuid.uuid4().hex}"})
    assert isinstance(reply, dict)
    prediction = reply["predictions"][0]
    probability = float(prediction["probability"])
    contributions = prediction.get("contributions")
    how = "contributions"
    if contributions is None:
        contributions = _occlusion(live.servable, instance, form["fields"])
        how = "typical-value replacement"
    tiers = resolve_tiers(load_page_config(model.name), form["threshold"])
    return {
        "model": model.name,
        "version": reply["model_version"],
        "probability": probability,
        "flag": bool(prediction.get("flag")),
        "tier": tier_for(probability, tiers).to_dict(),
        "factors": {
            code: top_factors(contributions, instance, form["fields"], code) for code in LANGS
        },
        "factors_from": how,
        "lang": lang,
    }


def risk_page_router(dataplane: DataPlane) -> APIRouter:
    router = APIRouter()

    @router.get("/risk", response_class=HTMLResponse)
    async def index() -> HTMLResponse:
        names = sorted(
            n for n in dataplane.model_registry.get_models() if _classifier(dataplane, n)
        )
        items = "".join(
            f'<li><a href="/risk/{html.escape(n)}">{html.escape(n)}</a></li>' for n in names
        )
        return HTMLResponse(
            "<!doctype html><html lang='es'><meta charset='utf-8'>"
            "<meta name='viewport' content='width=device-width, initial-scale=1'>"
            "<title>Vigía · riesgo / risk</title><h1>Vigía</h1>"
            f"<ul>{items or '<li>—</li>'}</ul></html>"
        )

    @router.get("/risk/{name}", response_class=HTMLResponse)
    async def page(name: str) -> Any:
        if _classifier(dataplane, name) is None:
            return _missing(name)
        return HTMLResponse(_page_html(name))

    @router.get("/risk/{name}/form")
    async def form(name: str) -> Any:
        model = _classifier(dataplane, name)
        if model is None:
            return _missing(name)
        try:
            return JSONResponse(await _form(dataplane, model))
        except VigiaError as exc:
            return JSONResponse({"error": str(exc)}, 500)

    @router.post("/risk/{name}/assess")
    async def assess(name: str, request: Request) -> Any:
        model = _classifier(dataplane, name)
        if model is None:
            return _missing(name)
        try:
            body = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return JSONResponse({"error": 'the body must be JSON: {"values": {...}}'}, 400)
        if not isinstance(body, dict) or not isinstance(body.get("values"), dict):
            return JSONResponse({"error": 'the body must be JSON: {"values": {...}}'}, 400)
        lang = str(body["lang"]) if body.get("lang") in LANGS else LANGS[0]
        form_spec = await _form(dataplane, model)
        instance, errors = validate_submission(body["values"], form_spec["fields"], lang)
        if errors:
            return JSONResponse({"errors": errors}, 422)
        try:
            result = await asyncio.to_thread(_assess_sync, model, form_spec, instance, lang)
        except RequestRejected as exc:  # the model refused a value the form let through
            found = FIELD_IN_MESSAGE.search(str(exc))
            if found:
                return JSONResponse({"errors": {found.group(1): str(exc).split(": ", 1)[-1]}}, 422)
            return JSONResponse({"error": str(exc)}, exc.status)
        except PredictionFailed as exc:
            return JSONResponse({"error": str(exc)}, 500)
        return JSONResponse(result)

    return router


def mount_risk_page(app: FastAPI, dataplane: DataPlane) -> None:
    """Add the risk page's routes to the model server's FastAPI app."""
    app.include_router(risk_page_router(dataplane))
