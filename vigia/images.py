"""Container image references, from the one definition in ``vigia/images.toml``."""

from __future__ import annotations

from functools import cache
from typing import Any, Literal

from vigia.configs import read_toml

ImageKind = Literal["project", "predictor"]
RegistryKind = Literal["local", "cluster"]


@cache
def image_config() -> dict[str, Any]:
    """The parsed ``images.toml``."""
    return read_toml(None, "images.toml", "image config", package="vigia")[0]


def image_ref(kind: ImageKind = "project", registry: RegistryKind = "cluster") -> str:
    """Full image reference, e.g. ``localhost/vigia:0.1.0``.

    Args:
        kind: ``project`` (pipeline components) or ``predictor`` (KServe server).
        registry: ``local`` (podman on this machine) or ``cluster`` (what Kubernetes pulls).
    """
    config = image_config()
    return f"{config['registries'][registry]}/{config['images'][kind]}:{config['tag']}"
