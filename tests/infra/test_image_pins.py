"""The compiled pipelines, the manifests and vigia/images.toml name the same images and tag."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vigia.images import image_ref
from vigia.pipelines.compile import compile_all

ROOT = Path(__file__).resolve().parents[2]


def executor_images(package: Path) -> set[str]:
    """Container images of every executor in a compiled pipeline."""
    docs = [d for d in yaml.safe_load_all(package.read_text(encoding="utf-8")) if d]
    executors = docs[0]["deploymentSpec"]["executors"]
    return {e["container"]["image"] for e in executors.values()}


def manifest_pins() -> dict[str, str]:
    """Image name → full reference pinned by manifests/base/kustomization.yaml."""
    kustomization = yaml.safe_load(
        (ROOT / "manifests" / "base" / "kustomization.yaml").read_text(encoding="utf-8")
    )
    return {i["name"]: f"{i['newName']}:{i['newTag']}" for i in kustomization["images"]}


def test_manifests_pin_the_images_of_images_toml() -> None:
    assert manifest_pins() == {
        "vigia": image_ref("project", "cluster"),
        "vigia-predictor": image_ref("predictor", "cluster"),
    }


def test_freshly_compiled_pipelines_use_the_manifests_project_image(tmp_path: Path) -> None:
    packages = compile_all(tmp_path)
    assert packages
    for package in packages:
        assert executor_images(package) == {manifest_pins()["vigia"]}, package.name


@pytest.mark.parametrize(
    "package", sorted((ROOT / "pipelines" / "compiled").glob("*.yaml")), ids=lambda p: p.name
)
def test_committed_compiled_pipelines_use_the_manifests_tag(package: Path) -> None:
    tags = {image.rsplit(":", 1)[1] for image in executor_images(package)}
    assert tags == {manifest_pins()["vigia"].rsplit(":", 1)[1]}
