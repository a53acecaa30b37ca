"""The anchor a KServe user would write by hand: a minimal stock ``kserve.Model`` serving the
same XGBoost forecaster from the client's history.

``predict`` takes V1 instances ``{"region", "week_start", "history"}``, builds the forecaster's
features with the library's array function (``features_at_last``, the same features), calls
the same boosters with XGBoost's public ``inplace_predict`` (one per horizon) and returns the
sorted quantiles. No validation, payload log or metrics of Vigía's; KServe's ``ModelServer`` as
shipped (its own request logging and metrics on). Started by ``benchmarks/serving/run.py``::

    python -m benchmarks.serving.stock_kserve --bundle DIR --name NAME --http_port P --grpc_port G
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb
from kserve import Model, ModelServer, model_server

from vigia.features.forecast import FEATURES, features_at_last

LEVEL, LAST = FEATURES.index("level"), FEATURES.index("lag_0")


class StockForecaster(Model):
    def __init__(self, name: str, bundle: Path) -> None:
        super().__init__(name)
        self.bundle = bundle
        self.boosters: list[xgb.Booster] = []
        self.anchor_last = True
        self.load()

    def load(self) -> bool:
        spec = json.loads((self.bundle / "forecaster" / "forecaster.json").read_text())
        if spec["name"] != "xgboost":
            raise SystemExit(f"the stock anchor serves XGBoost forecasters, not {spec['name']}")
        self.anchor_last = spec["params"].get("anchor", "last") == "last"
        for h in spec["params"]["horizons"]:
            booster = xgb.Booster()
            booster.load_model(self.bundle / "forecaster" / f"xgb_h{h}.ubj")
            self.boosters.append(booster)
        self.ready = True
        return self.ready

    def predict(self, payload: Any, headers: dict[str, str] | None = None) -> dict[str, Any]:
        rows = payload["instances"]
        series = [np.asarray(row["history"], dtype="float64") for row in rows]
        origins = np.array([np.datetime64(row["week_start"], "ns") for row in rows])
        features = features_at_last(series, origins)
        anchor = features[:, LEVEL] + (features[:, LAST] if self.anchor_last else 0.0)
        z = np.stack(
            [b.inplace_predict(features).reshape(len(rows), -1) for b in self.boosters], axis=1
        )
        quantiles = np.sort(np.clip(np.expm1(anchor[:, None, None] + z), 0.0, None), axis=-1)
        return {
            "predictions": [
                {"region": row["region"], "origin": row["week_start"], "quantiles": q}
                for row, q in zip(rows, quantiles.tolist(), strict=True)
            ]
        }


def main() -> None:
    parser = argparse.ArgumentParser(parents=[model_server.parser], description=__doc__)
    parser.add_argument("--bundle", required=True, type=Path)
    args, _ = parser.parse_known_args()
    model = StockForecaster(args.model_name, args.bundle)
    ModelServer(http_port=args.http_port, grpc_port=args.grpc_port, workers=1).start([model])


if __name__ == "__main__":
    main()
