"""KFP components: thin wrappers, artifacts in → a ``vigia`` call → artifacts/metrics out.

Each module holds one component function. :func:`make_component` turns it into a lightweight KFP
component whose ``base_image`` is the project image, so one definition runs under
``kfp.local.SubprocessRunner``, ``kfp.local.DockerRunner`` and on a Kubeflow cluster.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kfp import dsl


def make_component(func: Callable[..., Any], image: str) -> Any:
    """A lightweight component running ``func`` in ``image`` (which has vigia and kfp)."""
    return dsl.component(func, base_image=image, install_kfp_package=False)
