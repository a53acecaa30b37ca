"""KServe's private API that :mod:`vigia.serving.kserve_internals` relies on is still there and
still shaped as it was: this test fails on a KServe upgrade that changes one of them, before a
server fails at start-up. On failure: re-read each override against the new KServe, adapt it,
then update ``KSERVE_VERSION`` and this test."""

from __future__ import annotations

import inspect
from importlib import metadata

from kserve import ModelServer
from kserve.protocol.grpc.server import GRPCServer
from kserve.protocol.rest.server import RESTServer

from vigia.serving import kserve_internals


def parameters(function: object) -> list[str]:
    return list(inspect.signature(function).parameters)  # type: ignore[arg-type]


def test_the_overrides_were_written_for_the_installed_kserve() -> None:
    assert metadata.version("kserve") == kserve_internals.KSERVE_VERSION


def test_model_server_internals_used_by_the_start_override() -> None:
    assert parameters(ModelServer._register_and_check_atleast_one_model_is_ready) == [
        "self",
        "models",
    ]
    assert inspect.iscoroutinefunction(ModelServer._serve)
    assert parameters(ModelServer.start) == ["self", "models"]
    for public in ("setup_event_loop", "register_signal_handler", "register_model", "stop"):
        assert callable(getattr(ModelServer, public)), public
    init = inspect.signature(ModelServer.__init__).parameters
    for name in ("http_port", "grpc_port", "workers", "max_threads", "max_asyncio_workers",
                 "registered_models", "enable_grpc", "enable_docs_url", "enable_latency_logging",
                 "timeout_keep_alive", "grace_period"):  # fmt: skip
        assert name in init, name
    source = inspect.getsource(ModelServer.__init__)
    for attribute in ("self.servers", "self.timeout_keep_alive", "self.event_loop",
                      "self.model_repository_extension", "self.grace_period"):  # fmt: skip
        assert attribute in source, attribute


def test_rest_server_hooks() -> None:
    assert parameters(RESTServer._add_middlewares) == ["self", "app"]
    assert parameters(RESTServer._add_exception_handlers) == ["self", "app"]
    assert "self.config" in inspect.getsource(RESTServer)  # uvicorn's Config: host set after


def test_grpc_server_attributes_rebuilt_by_the_start_override() -> None:
    assert parameters(GRPCServer.start) == ["self", "max_workers"]
    source = inspect.getsource(GRPCServer.__init__)
    for attribute in ("self._port", "self._data_plane", "self._model_repository_extension",
                      "self._kwargs", "self._server"):  # fmt: skip
        assert attribute in source, attribute
