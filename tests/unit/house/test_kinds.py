"""Every model kind follows the one template (``vigia.workflows.kinds``): each role names a
function or class that exists, the server knows its servable, the gate config has its section,
and its pipeline ends with the shared register → [approved] push block."""

from __future__ import annotations

import importlib
import inspect

import pytest

from vigia.configs import read_toml
from vigia.servables.base import Servable
from vigia.servables.kinds import SERVABLE_CLASSES
from vigia.workflows.kinds import KINDS, ModelKind


def resolve(target: str) -> object:
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.kind)
def test_every_role_of_a_kind_exists(kind: ModelKind) -> None:
    for role, target in kind.roles().items():
        assert callable(resolve(target)), f"{kind.kind}.{role}: {target}"
    assert issubclass(resolve(kind.servable), Servable)  # type: ignore[arg-type]
    assert SERVABLE_CLASSES[kind.kind] == kind.servable
    gates, _ = read_toml(None, "gates.toml", "gate config")
    assert kind.gate_section in gates
    pipeline_module = inspect.getmodule(resolve(kind.pipeline))
    assert "register_and_push" in inspect.getsource(pipeline_module)  # type: ignore[arg-type]


def test_the_server_knows_no_kind_the_template_does_not_describe() -> None:
    assert set(SERVABLE_CLASSES) == {kind.kind for kind in KINDS}
