"""Encoding attribute values the way MLeap's JSON writer does.

MLeap (spray-json) leaves zero scalars out (``{}`` is 0, false or ""), writes NaN and
±inf as ``null``, writes an empty list as ``{"type": "list"}`` and stores 2-D tensors
column-major, as Spark's ``Matrix.toArray`` does. Writing the same way keeps our
bundles readable by MLeap's JVM runtime as well as by ours.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

Value = dict[str, Any]


def _number(value: float) -> float | None:
    """A JSON-safe double: NaN and ±inf become null, as spray-json writes them."""
    value = float(value)
    return value if math.isfinite(value) else None


def double(value: float) -> Value:
    value = float(value)
    return {"double": _number(value)} if value != 0.0 else {}


def long(value: int) -> Value:
    return {"long": int(value)} if value else {}


def integer(value: int) -> Value:
    return {"int": int(value)} if value else {}


def boolean(value: bool) -> Value:
    return {"boolean": True} if value else {}


def string(value: str) -> Value:
    return {"string": value} if value else {}


def _list(key: str, items: list[Any]) -> Value:
    return {"type": "list", key: items} if items else {"type": "list"}


def strings(items: Iterable[str]) -> Value:
    return _list("string", [str(item) for item in items])


def doubles(items: Iterable[float]) -> Value:
    return _list("double", [_number(item) for item in items])


def longs(items: Iterable[int]) -> Value:
    return _list("long", [int(item) for item in items])


def integers(items: Iterable[int]) -> Value:
    return _list("int", [int(item) for item in items])


def _tensor_body(array: np.ndarray) -> Value:
    array = np.asarray(array, dtype=np.float64)
    return {
        "double": [_number(v) for v in array.ravel(order="F")],
        "shape": {"dimensions": [{"size": int(n), "name": ""} for n in array.shape]},
    }


def tensor(array: Sequence[float] | np.ndarray) -> Value:
    """A dense double tensor; 2-D arrays are flattened column-major, as Spark does."""
    return {"type": "tensor", **_tensor_body(np.asarray(array))}


def tensors(arrays: Iterable[np.ndarray]) -> Value:
    return _list("tensor", [_tensor_body(array) for array in arrays])


def data_shape(size: int | None) -> dict[str, Any]:
    """A DataShape (camelCase keys): a scalar when `size` is None, else a 1-D tensor."""
    if size is None:
        return {"base": "scalar", "isNullable": True}
    return {
        "base": "tensor",
        "isNullable": True,
        "tensorShape": {"dimensions": [{"size": int(size), "name": ""}]},
    }


def data_shapes(sizes: Iterable[int | None]) -> Value:
    return _list("data_shape", [data_shape(size) for size in sizes])
