"""What a registered MLflow model carries so that it loads where Vigía is not installed.

- **Code**: the ``vigia`` package's modules and the data files a model may read (copied into the
  model's ``code/`` folder with ``code_paths``; MLflow puts it on ``sys.path`` when loading), so
  ``mlflow.pyfunc.load_model("models:/NAME@champion")`` needs no ``pip install vigia``.
- **Requirements**: the distributions loading and predicting the bundle imports, pinned to the
  versions it was trained with (``requirements.txt`` in the model); which ones depends on the
  method (an LSTM predicts with onnxruntime, an ETS with statsforecast…).
- **Signature and input example**: from the bundle itself (its own history; a classifier's
  feature medians and most frequent categories), with the output of a real prediction.

``tests/registry_travel/`` installs only those requirements and MLflow into a fresh virtual
environment, loads the champion there and predicts.
"""

from __future__ import annotations

import shutil
from importlib.metadata import PackageNotFoundError, packages_distributions, version
from pathlib import Path
from typing import Any

import vigia

# Distributions every bundle needs at prediction time, then what each method adds.
BASE = ("numpy", "pandas", "pyarrow", "scipy")
BY_METHOD: dict[str, tuple[str, ...]] = {
    "xgboost": ("xgboost",),
    "boosted": ("xgboost",),
    "lstm": ("onnxruntime",),
    "autoets": ("statsforecast",),
    "autoarima": ("statsforecast",),
    "count_ar": ("statsmodels",),
    "hybrid": ("xgboost", "onnxruntime", "statsforecast", "statsmodels"),
    "hybrid_v1": ("xgboost", "onnxruntime", "statsforecast", "statsmodels"),
}
CLASSIFIER = ("scikit-learn", "joblib", "xgboost")
# Not needed to predict: training data of the risk pipeline and compiled files.
LEFT_OUT = ("__pycache__", "*.pyc", "diabetes_130us*")


def pip_requirements(manifest: dict[str, Any]) -> list[str]:
    """``name==version`` of every distribution the bundle's predictions import."""
    names: tuple[str, ...]
    if manifest.get("kind") == "classifier":
        names = (*BASE, *CLASSIFIER)
    else:
        names = (*BASE, *BY_METHOD.get(str(manifest.get("method")), ()))
    pinned = []
    for name in dict.fromkeys(names):
        try:
            pinned.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            # The module may come from another distribution (``xgboost`` from ``xgboost-cpu``
            # on Linux); if nothing provides it, the bundle cannot have used it.
            for provider in packages_distributions().get(name.replace("-", "_"), []):
                pinned.append(f"{provider}=={version(provider)}")
    return pinned


def code_folder(scratch: Path) -> Path:
    """A copy of the ``vigia`` package (modules + data files a model may read) under
    ``scratch``, for ``log_model(code_paths=[...])``."""
    source = Path(vigia.__file__).resolve().parent
    target = scratch / "vigia"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(*LEFT_OUT))
    return target
