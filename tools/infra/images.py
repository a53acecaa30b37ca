"""Image pins: the manifests and the compiled pipelines must use exactly the cluster images
named in ``vigia/images.toml`` (the one place that names images and tags)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml


def cluster_images(root: Path) -> dict[str, str]:
    """Image kind → full cluster reference, read from ``vigia/images.toml``."""
    config = tomllib.loads((root / "vigia" / "images.toml").read_text(encoding="utf-8"))
    registry, tag = config["registries"]["cluster"], config["tag"]
    return {kind: f"{registry}/{name}:{tag}" for kind, name in config["images"].items()}


def kustomization_problems(root: Path) -> list[str]:
    """The base kustomization's ``images:`` list must pin every image to images.toml."""
    expected = cluster_images(root)
    by_name = {ref.rsplit("/", 1)[1].split(":")[0]: ref for ref in expected.values()}
    path = root / "manifests" / "base" / "kustomization.yaml"
    pins = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("images") or []
    problems = []
    pinned = {pin.get("name"): f"{pin.get('newName')}:{pin.get('newTag')}" for pin in pins}
    for name, ref in by_name.items():
        if pinned.get(name) != ref:
            problems.append(f"{path}: images: {name} → {pinned.get(name)}, images.toml says {ref}")
    return problems


def container_images(obj: Any) -> list[str]:
    """Every value of a key ``image`` inside ``obj`` (containers of any kind, any depth)."""
    if isinstance(obj, dict):
        found = [v for k, v in obj.items() if k == "image" and isinstance(v, str)]
        return found + [i for v in obj.values() for i in container_images(v)]
    if isinstance(obj, list):
        return [i for v in obj for i in container_images(v)]
    return []


def rendered_problems(root: Path, overlay: str, objects: list[dict[str, Any]]) -> list[str]:
    """Every image in a rendered overlay is one of the images.toml cluster references."""
    allowed = set(cluster_images(root).values())
    return [
        f"overlay {overlay}: image {image} is not a vigia/images.toml cluster image"
        for image in sorted({i for obj in objects for i in container_images(obj)})
        if image not in allowed
    ]


def compiled_pipeline_problems(root: Path) -> list[str]:
    """Every executor of ``pipelines/compiled/*.yaml`` runs the project image of images.toml."""
    expected = cluster_images(root)["project"]
    files = sorted((root / "pipelines" / "compiled").glob("*.yaml"))
    if not files:
        return ["pipelines/compiled/ has no compiled pipeline (run: make compile)"]
    problems = []
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
        images = {i for doc in docs for i in container_images(doc.get("deploymentSpec", {}))}
        if not images:
            problems.append(f"{path.name}: no executor images found")
        problems += [
            f"{path.name}: image {image}, images.toml project image is {expected}"
            for image in sorted(images - {expected})
        ]
    return problems
