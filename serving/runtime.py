"""Process settings for the serving processes (predictor and sink)."""

from __future__ import annotations

import os

MATH_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_math_threads() -> None:
    """One OpenMP/BLAS thread per model call unless the environment says otherwise.

    A server answers many small requests at once; a model call that spins up a thread team per
    request fights the other requests for the cores. Measured on the 2 shared cores here: a
    one-row XGBoost forecast took 32 ms with one OpenMP thread and 290 ms with the default
    (median of 30). Must run before the model libraries are imported (``load`` does that).
    """
    for name in MATH_THREAD_VARIABLES:
        os.environ.setdefault(name, "1")
