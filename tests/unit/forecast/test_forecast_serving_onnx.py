"""A saved hybrid predicts in a fresh process without TensorFlow, with the offline quantiles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from forecast_settings import TINY_HYBRID_LSTM

from vigia.models.hybrid import HybridForecaster

SERVE = """
import json, sys
import numpy as np
import pandas as pd
from vigia.models.base import load_forecaster

model = load_forecaster(sys.argv[1])
history = pd.read_parquet(sys.argv[2])
values = model.predict(history).values
np.save(sys.argv[3], values)
print(json.dumps({
    "tensorflow": sorted(m for m in sys.modules if m.split(".")[0] == "tensorflow"),
    "statsmodels": "statsmodels" in sys.modules,
    "keras": "keras" in sys.modules,
    "onnxruntime": "onnxruntime" in sys.modules,
    "members": sorted(model.fitted),
}))
"""


def test_saved_hybrid_serves_without_tensorflow(slice_panel: pd.DataFrame, tmp_path: Path) -> None:
    # No out-of-sample fold → equal weights: the tiny LSTM stays a member whatever it scores.
    model = HybridForecaster(**{**TINY_HYBRID_LSTM, "folds": 0}).fit(slice_panel)
    assert set(model.fitted) == {"boosted", "count_ar", "xgboost", "lstm"}, "every member needed"
    offline = model.predict(slice_panel).values
    model.save(tmp_path / "hybrid")
    assert (tmp_path / "hybrid" / "members" / "lstm" / "lstm.onnx").exists()
    slice_panel.to_parquet(tmp_path / "history.parquet", index=False)

    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            SERVE,
            str(tmp_path / "hybrid"),
            str(tmp_path / "history.parquet"),
            str(tmp_path / "served.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["tensorflow"] == [] and not report["keras"]
    assert not report["statsmodels"], "count_ar needs statsmodels to fit, not to predict"
    assert report["onnxruntime"]
    assert report["members"] == ["boosted", "count_ar", "lstm", "xgboost"]
    served = np.load(tmp_path / "served.npy")
    np.testing.assert_array_equal(served, offline)
