"""A global Keras LSTM trained on windows of recent weeks with a pinball (quantile) loss.

Inputs are the windows of :func:`vigia.features.forecast.sequence_windows` (log1p counts relative
to the region's recent level); the network outputs, for every horizon, the quantiles of
log1p(cases) minus that level. Its last layer builds quantiles as a lowest value plus cumulated
softplus increments, so they never cross.

TensorFlow is needed only to *fit*: at the end of ``fit`` the network is exported to ONNX and
every prediction (offline backtests and serving alike) runs on onnxruntime, so a served model
gives exactly the quantiles the backtest scored, and a serving process never imports TensorFlow.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from vigia.errors import VigiaError
from vigia.features.forecast import (
    SEQUENCE_CHANNELS,
    future_targets,
    level_weights,
    sequence_windows,
)
from vigia.forecasts.quantiles import (
    FLUSIGHT_LEVELS,
    HORIZONS,
    QuantileForecast,
    finalize_quantiles,
)
from vigia.models.base import Forecaster, origin_rows, reported, reported_mask

ONNX_FILE = "lstm.onnx"
INPUT_NAME = "x"
RECENT_WEEKS = 8  # weeks fed straight to the output layer besides the LSTM state
STEP = 0.05  # scale of the gaps between neighbouring quantiles at initialisation
MIN_HISTORY = 8


class LSTMForecaster(Forecaster):
    """Global LSTM over all regions: one network gives every horizon and quantile level."""

    name = "lstm"
    min_history = MIN_HISTORY

    def __init__(
        self,
        horizons: Sequence[int] = HORIZONS,
        levels: Sequence[float] = FLUSIGHT_LEVELS,
        window: int = 13,
        units: int = 8,
        epochs: int = 40,
        batch_size: int = 64,
        learning_rate: float = 0.003,
        weight_power: float = 0.0,
        seed: int = 0,
    ) -> None:
        super().__init__(horizons, levels)
        self.window = int(window)
        self.units = int(units)
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.learning_rate = float(learning_rate)
        self.weight_power = float(weight_power)
        self.seed = int(seed)
        self.onnx_model: bytes | None = None
        self._session: Any = None

    def params(self) -> dict[str, Any]:
        return {
            **super().params(),
            "window": self.window,
            "units": self.units,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "weight_power": self.weight_power,
            "seed": self.seed,
        }

    # --- training (TensorFlow) -----------------------------------------------------------------
    def learn(self, panel: pd.DataFrame) -> None:
        frame, windows = sequence_windows(panel, self.window)
        targets = future_targets(panel, self.horizons).to_numpy()
        history_weeks = frame.groupby("region", sort=False).cumcount().to_numpy() + 1
        rows = (
            (history_weeks >= MIN_HISTORY)
            & np.isfinite(targets).all(axis=1)
            & reported_mask(panel)  # the origin week itself was reported
        )
        if not rows.any():
            raise VigiaError(
                f"lstm: no region has {MIN_HISTORY} weeks of history followed by "
                f"{max(self.horizons)} reported weeks; the panel is too short to train on"
            )
        level = frame["level"].to_numpy()[rows]
        labels = (np.log1p(targets[rows]) - level[:, None]).astype("float32")
        weights = level_weights(level, self.weight_power).astype("float32")
        network = _train_network(
            windows[rows], labels, weights, self.levels, self._spec(), self.seed
        )
        self.onnx_model = _export_onnx(network, self.window)
        self._session = None

    def _spec(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "epochs": self.epochs,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "horizons": len(self.horizons),
        }

    # --- prediction (onnxruntime) --------------------------------------------------------------
    def _run(self, windows: np.ndarray) -> np.ndarray:
        if self._session is None:
            if self.onnx_model is None:
                raise ValueError("the LSTM is not fitted")
            import onnxruntime as ort

            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            self._session = ort.InferenceSession(
                self.onnx_model, options, providers=["CPUExecutionProvider"]
            )
        name = self._session.get_inputs()[0].name
        return np.asarray(self._session.run(None, {name: windows.astype("float32")})[0])

    def _forecast(self, frame: pd.DataFrame, windows: np.ndarray) -> QuantileForecast:
        z = self._run(windows).astype("float64")
        values = np.expm1(frame["level"].to_numpy()[:, None, None] + z)
        keys = frame[["region", "origin"]]
        return QuantileForecast(keys, finalize_quantiles(values), self.horizons, self.levels)

    def predict(self, history: pd.DataFrame) -> QuantileForecast:
        frame, windows = sequence_windows(reported(history), self.window)
        last = frame.groupby("region", sort=False).tail(1).index.to_numpy()
        return self._forecast(frame.loc[last].reset_index(drop=True), windows[last])

    def predict_origins(
        self, panel: pd.DataFrame, origins: Sequence[pd.Timestamp]
    ) -> QuantileForecast:
        frame, windows = sequence_windows(panel, self.window)
        rows = origin_rows(frame, origins, reported_mask(panel))
        return self._forecast(frame.loc[rows].reset_index(drop=True), windows[rows])

    # --- persistence ---------------------------------------------------------------------------
    def save_state(self, folder: Path) -> None:
        if self.onnx_model is None:
            raise ValueError("the LSTM is not fitted")
        (folder / ONNX_FILE).write_bytes(self.onnx_model)

    def load_state(self, folder: Path) -> None:
        self.onnx_model = (folder / ONNX_FILE).read_bytes()
        self._session = None


# --- TensorFlow parts (imported only while fitting) ----------------------------------------------
def _train_network(
    windows: np.ndarray,
    labels: np.ndarray,
    weights: np.ndarray,
    levels: Sequence[float],
    spec: dict[str, Any],
    seed: int,
) -> Any:
    """Fit the Keras network on ``windows`` (n, T, C) → ``labels`` (n, H) with a pinball loss."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # TensorFlow's C++ start-up chatter
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()  # same data + seed → same network
    horizons, quantiles = spec["horizons"], len(levels)
    taus = keras.ops.convert_to_tensor(np.asarray(levels, dtype="float32"))

    def pinball(y_true: Any, y_pred: Any) -> Any:
        error = keras.ops.expand_dims(y_true, -1) - y_pred
        return keras.ops.mean(keras.ops.maximum(taus * error, (taus - 1.0) * error), axis=(1, 2))

    inputs = keras.Input((windows.shape[1], windows.shape[2]), name=INPUT_NAME)
    hidden = keras.layers.LSTM(spec["units"])(inputs)
    recent = keras.layers.Flatten()(inputs[:, -RECENT_WEEKS:, :2])  # a linear skip path
    joined = keras.layers.Concatenate()([hidden, recent])
    raw = keras.layers.Reshape((horizons, quantiles))(
        keras.layers.Dense(horizons * quantiles)(joined)
    )
    # Non-crossing quantiles around the median: positive steps up and down from it.
    middle = int(np.argmin(np.abs(np.asarray(levels) - 0.5)))
    median = raw[:, :, middle : middle + 1]
    up = keras.ops.cumsum(keras.ops.softplus(raw[:, :, middle + 1 :]) * STEP, axis=-1)
    down = keras.ops.flip(
        keras.ops.cumsum(keras.ops.flip(keras.ops.softplus(raw[:, :, :middle]) * STEP, -1), -1),
        -1,
    )
    outputs = keras.ops.concatenate([median - down, median, median + up], axis=-1)
    network = keras.Model(inputs, outputs)
    network.compile(optimizer=keras.optimizers.Adam(spec["learning_rate"]), loss=pinball)
    network.fit(
        windows,
        labels,
        sample_weight=weights / weights.mean(),
        epochs=spec["epochs"],
        batch_size=spec["batch_size"],
        shuffle=True,
        verbose=0,
    )
    return network


def _export_onnx(network: Any, window: int) -> bytes:
    """The network as ONNX bytes with a dynamic batch dimension (input name ``x``)."""
    import tensorflow as tf

    channels = len(SEQUENCE_CHANNELS)
    signature = [tf.TensorSpec((None, window, channels), tf.float32, name=INPUT_NAME)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ONNX_FILE
        network.export(str(path), format="onnx", input_signature=signature, verbose=False)
        return path.read_bytes()
