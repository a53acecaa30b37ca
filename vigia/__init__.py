"""Vigía: forecasting, risk scoring and resource allocation for public health, with MLOps."""

import os

__version__ = "0.1.0"

# MLflow 3 sends usage telemetry to its maintainers unless told not to. A ministry's platform
# keeps even its usage on its own machines: off for every process that imports vigia (each
# pipeline step, the CLI and the servers import it before MLflow). MLFLOW_DISABLE_TELEMETRY=false
# turns it back on.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
