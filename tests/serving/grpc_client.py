"""tritonclient's gRPC client against a running server, in its own process (its protobuf
names clash with KServe's in one process). Usage: ``grpc_client.py HOST:PORT MODEL REGION…``;
prints a JSON summary of what came back."""

from __future__ import annotations

import json
import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException


def main(address: str, model: str, regions: list[str]) -> dict[str, object]:
    client = triton.InferenceServerClient(url=address)
    region = triton.InferInput("region", [len(regions)], "BYTES")
    region.set_data_from_numpy(np.array([r.encode() for r in regions], dtype=object))
    result = client.infer(model, [region], request_id="t-1")
    quantiles = result.as_numpy("quantiles")
    only = client.infer(model, [region], outputs=[triton.InferRequestedOutput("median")])
    bad = triton.InferInput("region", [1], "BYTES")
    bad.set_data_from_numpy(np.array([b"ATLANTIS"], dtype=object))
    try:
        client.infer(model, [bad])
        bad_code = "OK"
    except InferenceServerException as exc:
        bad_code = str(exc.status())
    return {
        "ready": client.is_server_ready() and client.is_model_ready(model),
        "model_version": result.get_response().model_version,
        "quantiles": quantiles.tolist(),
        "quantiles_dtype": str(quantiles.dtype),
        "region": [r.decode() for r in result.as_numpy("region")],
        "horizon": result.as_numpy("horizon").tolist(),
        "only_median_shape": list(only.as_numpy("median").shape),
        "only_median_has_quantiles": only.as_numpy("quantiles") is not None,
        "bad_region_code": bad_code,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3:])))
