"""The Servable interface and the request checks every servable shares.

A servable turns requests into model input and model output into responses:

    batch = servable.parse_v1(body)            # or parse_v2(tensors)
    result = servable.predict(batch)
    servable.v1_predictions(batch, result)     # or v2_outputs(batch, result)
    servable.payload_rows(batch, result)       # (inputs, outputs) rows for the payload log

``batch`` and ``result`` are whatever the servable needs; ``len(batch)`` is the row count.
Every bad request raises :class:`~vigia.servables.errors.InvalidRequest` naming the field.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sized
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Self

import numpy as np

from vigia.errors import VigiaError
from vigia.servables.errors import InvalidRequest, bounded

DEFAULT_MAX_ROWS = 1000
FLOAT_DATATYPES = {"FP16", "FP32", "FP64"}


@dataclass(frozen=True)
class TensorSpec:
    """A V2 input or output: name, datatype (``BYTES``, ``FP32``, …) and shape (-1 = any).

    ``required`` matters for inputs only; ``batch`` says the first dimension is the row count.
    """

    name: str
    datatype: str
    shape: tuple[int, ...]
    required: bool = True
    batch: bool = True
    description: str = ""

    def metadata(self) -> dict[str, Any]:
        """The V2 model-metadata entry."""
        return {"name": self.name, "datatype": self.datatype, "shape": list(self.shape)}

    def shape_text(self) -> str:
        return "[" + ", ".join("N" if d == -1 and i == 0 and self.batch else str(d)
                               for i, d in enumerate(self.shape)) + "]"  # fmt: skip


@dataclass
class Tensor:
    """A V2 tensor: ``data`` is a numpy array of ``shape`` (object dtype for BYTES).

    A request's tensor may arrive undecoded, with a ``loader`` that makes the array: it is
    called only after the name and datatype are checked, and data that does not fit the
    stated datatype and shape becomes an :class:`InvalidRequest` naming the input.
    """

    name: str
    datatype: str
    shape: list[int]
    data: np.ndarray | None = None
    loader: Callable[[], np.ndarray] | None = None

    def array(self) -> np.ndarray:
        if self.data is None:
            if self.loader is None:
                raise InvalidRequest("missing_field", f"input {self.name!r} has no data")
            try:
                self.data = np.asarray(self.loader())
            except (ValueError, TypeError, OverflowError) as exc:
                raise InvalidRequest(
                    "wrong_shape",
                    f"input {self.name!r}: its data does not fit datatype {self.datatype} and "
                    f"shape {list(self.shape)} ({exc})",
                ) from None
        return self.data


NUMPY_DTYPES: dict[str, Any] = {
    "BOOL": np.bool_,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
    "BYTES": object,
}


def json_tensor(entry: Any, where: str = "tensor") -> Tensor:
    """A tensor from its V2 JSON form (``{"name", "datatype", "shape", "data"}``), decoded
    lazily like a request's (see :class:`Tensor`)."""
    if not isinstance(entry, dict) or not all(
        k in entry for k in ("name", "datatype", "shape", "data")
    ):
        raise InvalidRequest("malformed", f"{where} needs name, datatype, shape and data")
    datatype = str(entry["datatype"]).upper()
    if datatype not in NUMPY_DTYPES:
        raise InvalidRequest("wrong_datatype", f"{where}: unknown datatype {bounded(datatype)}")
    shape = [int(d) for d in entry["shape"]]
    data = entry["data"]
    return Tensor(
        str(entry["name"]),
        datatype,
        shape,
        loader=lambda: np.array(data, dtype=NUMPY_DTYPES[datatype]).reshape(shape),
    )


class Servable(ABC):
    """A model as served: built from a bundle folder, no KServe import.

    Subclasses set ``kind`` (the bundle manifest's ``kind``), implement the abstract methods and
    are listed in :data:`vigia.servables.kinds.SERVABLE_CLASSES`.

    Attributes:
        folder: The bundle folder.
        manifest: The bundle's ``vigia-model.json``.
        version: The model version (manifest ``version``; 0 for a bundle never pushed).
        max_rows: Largest number of rows one request may carry.
    """

    kind: ClassVar[str]

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = Path(folder)
        self.manifest = manifest
        self.version = int(manifest.get("version") or 0)
        self.max_rows = DEFAULT_MAX_ROWS

    @classmethod
    @abstractmethod
    def from_bundle(cls, folder: Path, manifest: dict[str, Any]) -> Self:
        """Load the model and whatever it needs from a bundle folder."""

    # --- what the model declares -----------------------------------------------------------
    @property
    def declared_fields(self) -> list[str]:
        """The request fields this model takes. The payload log keeps them even when they are
        named like an identifier (``admission_type_id``): they passed the identifier policy
        (:mod:`vigia.privacy`) with their values when the model was trained."""
        return [spec.name for spec in self.inputs]

    @property
    @abstractmethod
    def inputs(self) -> list[TensorSpec]:
        """V2 inputs (model metadata and the V2 request contract)."""

    @property
    @abstractmethod
    def outputs(self) -> list[TensorSpec]:
        """V2 outputs (model metadata and the V2 response)."""

    # --- request → model → response --------------------------------------------------------
    @abstractmethod
    def parse_v1(self, body: Any) -> Sized:
        """Validate a V1 body (``{"instances": [...]}``) into a batch of model input."""

    @abstractmethod
    def parse_v2(self, tensors: dict[str, Tensor]) -> Sized:
        """Turn V2 tensors already checked by :meth:`check_v2` into a batch."""

    @abstractmethod
    def predict(self, batch: Any) -> Any:
        """Run the model on a batch."""

    @abstractmethod
    def v1_predictions(self, batch: Any, result: Any) -> list[dict[str, Any]]:
        """One JSON-ready dict per row (the V1 ``predictions``)."""

    @abstractmethod
    def v2_outputs(self, batch: Any, result: Any) -> list[Tensor]:
        """The V2 output tensors, in the order of :attr:`outputs`."""

    @abstractmethod
    def v1_result(self, batch: Any, predictions: list[Any]) -> Any:
        """The result a V1 response's ``predictions`` carry (what :meth:`predict` returned).

        Used by the payload sink, which sees requests and responses but not the model call.
        """

    @abstractmethod
    def v2_result(self, batch: Any, outputs: dict[str, np.ndarray]) -> Any:
        """The result V2 response outputs (name → array) carry, as for :meth:`v1_result`."""

    @abstractmethod
    def payload_rows(
        self, batch: Any, result: Any
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """``(inputs, outputs)`` rows for the payload log: flat dicts, no identifiers.

        Runs on the payload writer's thread, after the response is sent.
        """

    # --- load-and-query ------------------------------------------------------------------------
    def canned_requests(self) -> list[dict[str, Any]]:
        """V1 bodies that together touch everything the model claims (every region, every
        lazily built session); :meth:`warm` answers them. Empty: nothing to warm."""
        return []

    def warm(self) -> int:
        """Answer the canned requests (before a version goes live); the rows answered.

        Raises :class:`vigia.errors.VigiaError` if an answer fails or holds a non-finite
        number: a bundle that cannot answer never serves a request.
        """
        rows = 0
        for body in self.canned_requests():
            batch = self.parse_v1(body)
            predictions = self.v1_predictions(batch, self.predict(batch))
            if not _all_finite(predictions):
                raise VigiaError(f"{self.folder}: the canned request gave a non-finite answer")
            rows += len(batch)
        return rows

    # --- shared request checks -----------------------------------------------------------------
    def check_instances(self, body: Any) -> list[dict[str, Any]]:
        """The V1 ``instances`` list, checked for structure and size."""
        if not isinstance(body, dict):
            raise InvalidRequest(
                "malformed",
                'request body must be a JSON object like {"instances": [...]}, '
                f"got {json_type(body)}",
            )
        if "instances" not in body:
            raise InvalidRequest("missing_field", "request body has no 'instances' field")
        extra = sorted(set(body) - {"instances", "parameters"})
        if extra:
            raise InvalidRequest(
                "unknown_field",
                f"unknown top-level field(s) {', '.join(map(repr, extra))}; expected 'instances'",
            )
        instances = body["instances"]
        if not isinstance(instances, list):
            raise InvalidRequest(
                "wrong_type", f"'instances' must be a list, got {json_type(instances)}"
            )
        self.check_row_count(len(instances), "instances")
        for i, instance in enumerate(instances):
            if not isinstance(instance, dict):
                raise InvalidRequest(
                    "wrong_type",
                    f"instances[{i}] must be an object, got {json_type(instance)}",
                )
        return instances

    def check_row_count(self, rows: int, what: str) -> None:
        if rows == 0:
            raise InvalidRequest("missing_field", f"'{what}' is empty: nothing to predict")
        if rows > self.max_rows:
            raise InvalidRequest(
                "too_many_rows",
                f"'{what}' has {rows} rows; at most {self.max_rows} per request",
            )

    def check_v2(self, tensors: list[Tensor]) -> dict[str, Tensor]:
        """V2 tensors checked against :attr:`inputs`: names, datatypes, shapes, row counts,
        finite floats; BYTES decoded to ``str``."""
        specs = {spec.name: spec for spec in self.inputs}
        found: dict[str, Tensor] = {}
        for tensor in tensors:
            if tensor.name in found:
                raise InvalidRequest("malformed", f"input {bounded(tensor.name)!r} appears twice")
            if tensor.name not in specs:
                raise InvalidRequest(
                    "unknown_field",
                    f"unknown input {bounded(tensor.name)!r}; inputs are {', '.join(specs)}",
                )
            found[tensor.name] = _check_tensor(tensor, specs[tensor.name])
        for spec in self.inputs:
            if spec.required and spec.name not in found:
                raise InvalidRequest(
                    "missing_field",
                    f"input {spec.name!r} ({spec.datatype} {spec.shape_text()}) is required",
                )
        batch = [(name, t.array().shape[0]) for name, t in found.items() if specs[name].batch]
        if batch:
            first_name, rows = batch[0]
            for name, count in batch[1:]:
                if count != rows:
                    raise InvalidRequest(
                        "wrong_shape",
                        f"input {name!r} has {count} rows but {first_name!r} has {rows}",
                    )
            self.check_row_count(rows, first_name)
        return found


def _check_tensor(tensor: Tensor, spec: TensorSpec) -> Tensor:
    if tensor.datatype != spec.datatype:
        raise InvalidRequest(
            "wrong_datatype",
            f"input {spec.name!r} has datatype {tensor.datatype}; expected {spec.datatype}",
        )
    _check_shape(spec, tuple(tensor.shape))  # the stated shape, before decoding the data
    data = tensor.array()
    _check_shape(spec, tuple(data.shape))
    if spec.datatype == "BYTES":
        texts = [_text(v, spec.name) for v in data.reshape(-1)]
        data = np.array(texts, dtype=object).reshape(data.shape)
    elif spec.datatype in FLOAT_DATATYPES and data.size and not np.isfinite(data).all():
        bad = np.argwhere(~np.isfinite(data))[0].tolist()
        raise InvalidRequest(
            "non_finite", f"input {spec.name!r} has a NaN or infinite value at {bad}"
        )
    return Tensor(tensor.name, tensor.datatype, list(data.shape), data)


def _check_shape(spec: TensorSpec, shape: tuple[int, ...]) -> None:
    fits = len(shape) == len(spec.shape) and all(
        want in (-1, got) for want, got in zip(spec.shape, shape, strict=True)
    )
    if not fits:
        raise InvalidRequest(
            "wrong_shape",
            f"input {spec.name!r} has shape {list(shape)}; expected {spec.shape_text()}",
        )


def _text(value: Any, name: str) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(
                "bad_value", f"input {name!r} holds bytes that are not UTF-8"
            ) from None
    if isinstance(value, str):
        return value
    raise InvalidRequest("wrong_type", f"input {name!r} holds {json_type(value)}, not text")


def _all_finite(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_all_finite(v) for v in value.values())
    if isinstance(value, list | tuple):
        return all(_all_finite(v) for v in value)
    if isinstance(value, float):
        return math.isfinite(value)
    return True


def json_type(value: Any) -> str:
    """A short description of a JSON value's type for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def as_number(value: Any, where: str) -> float:
    """A JSON number (not a boolean), finite, or an :class:`InvalidRequest` naming ``where``."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRequest("wrong_type", f"{where} must be a number, got {json_type(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise InvalidRequest("non_finite", f"{where} is not a finite number")
    return number
