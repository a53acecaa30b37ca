"""The comparison point: a bare FastAPI/uvicorn endpoint around the same model.

``POST /predict`` takes the same V1 body as Vigía's server and does the same domain work (the
servable's validation, the model's predict, the same predictions) with nothing else: no KServe,
no metrics, no payload log. Started by ``benchmarks/serving/run.py``::

    python -m benchmarks.serving.bare --bundle DIR --port 8090
"""

from __future__ import annotations

import argparse

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from vigia.servables.errors import InvalidRequest
from vigia.servables.kinds import load_servable


def create_app(bundle: str) -> FastAPI:
    servable = load_servable(bundle)
    app = FastAPI()

    @app.get("/ready")
    async def ready() -> dict[str, bool]:
        return {"ready": True}

    @app.post("/predict")
    async def predict(request: Request) -> Response:
        try:
            batch = servable.parse_v1(orjson.loads(await request.body()))
        except (InvalidRequest, orjson.JSONDecodeError) as exc:
            return Response(orjson.dumps({"error": str(exc)}), status_code=400)
        result = servable.predict(batch)
        body = {"predictions": servable.v1_predictions(batch, result)}
        return Response(orjson.dumps(body), media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        create_app(args.bundle),
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        timeout_keep_alive=65,  # as KServe's server
    )


if __name__ == "__main__":
    main()
