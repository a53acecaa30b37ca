"""Tiny model settings for forecasting unit tests: same code paths as the real models."""

# Small enough for unit tests, same code paths as the real models.
TINY_LSTM = {"units": 4, "epochs": 2, "window": 8}
TINY_XGB = {"n_estimators": 10, "n_jobs": 1}
# Without the LSTM (each LSTM fit costs seconds of graph building and ONNX export) …
TINY_HYBRID = {
    "members": ["xgboost", "autoets", "persistence"],
    "folds": 1,
    "fold_weeks": 8,
    "member_params": {"xgboost": TINY_XGB},
}
# The bagged, jointly trained boosted model: few rounds, two bags, Taiwan's series included.
TINY_BOOSTED = {"n_estimators": 8, "bags": 2, "extra": ["taiwan"]}
# … and with the LSTM, where it matters (serving without TensorFlow), plus every other member
# of the default hybrid.
TINY_HYBRID_LSTM = {
    "members": ["boosted", "xgboost", "lstm", "count_ar"],
    "folds": 1,
    "fold_weeks": 8,
    "member_params": {"lstm": TINY_LSTM, "xgboost": TINY_XGB, "boosted": TINY_BOOSTED},
}
