"""Decoding MLeap model.json attribute values, with the format's gotchas.

Values are ``{"double": 1.5}`` (scalar), ``{"type": "list", "string": [...]}`` or
``{"type": "tensor", "double": [...], "shape": {...}}``. MLeap leaves zero values out
(``{}`` is 0, false or ""), writes NaN and ±inf as null, omits the element key of an
empty list, and stores 2-D tensors column-major. Callers therefore ask for a value
*with its expected type*; `Attributes` supplies the zero or the default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from inferline.containers.core.errors import ModelLoadError

NUMBER_KEYS = ("double", "float", "long", "int")
_MISSING = object()


class Attributes:
    """The attributes of one model.json, read by name and expected type."""

    def __init__(self, raw: Mapping[str, Any] | None, where: str) -> None:
        self._raw = dict(raw or {})
        self.where = where

    def __contains__(self, name: str) -> bool:
        return name in self._raw

    def names(self) -> list[str]:
        return list(self._raw)

    def double(self, name: str, default: Any = _MISSING) -> float:
        value = self._scalar(name, NUMBER_KEYS, default)
        return np.nan if value is None else float(value)

    def integer(self, name: str, default: Any = _MISSING) -> int:
        value = self._scalar(name, ("long", "int", "double"), default)
        return int(value)

    def boolean(self, name: str, default: Any = _MISSING) -> bool:
        return bool(self._scalar(name, ("boolean",), default))

    def string(self, name: str, default: Any = _MISSING) -> str:
        return str(self._scalar(name, ("string",), default))

    def doubles(self, name: str, default: Any = _MISSING) -> np.ndarray:
        values = self._list(name, NUMBER_KEYS, default)
        return np.array([np.nan if v is None else v for v in values], dtype=np.float64)

    def integers(self, name: str, default: Any = _MISSING) -> np.ndarray:
        return np.array(self._list(name, ("long", "int"), default), dtype=np.int64)

    def strings(self, name: str, default: Any = _MISSING) -> list[str]:
        return [str(v) for v in self._list(name, ("string",), default)]

    def shapes(self, name: str, default: Any = _MISSING) -> list[dict[str, Any]]:
        """A data_shape list (or a single data_shape, returned as a one-item list)."""
        value = self._get(name, default)
        if not isinstance(value, dict):
            return list(value)
        if "data_shape" in value:
            shapes = value["data_shape"]
            return list(shapes) if isinstance(shapes, list) else [shapes]
        return []

    def tensor(self, name: str, default: Any = _MISSING) -> np.ndarray:
        value = self._get(name, default)
        if not isinstance(value, dict):
            return np.asarray(value, dtype=np.float64)
        return _tensor(value, self._where(name))

    def tensors(self, name: str) -> list[np.ndarray]:
        value = self._get(name, _MISSING)
        return [_tensor(item, self._where(name)) for item in value.get("tensor", [])]

    def _get(self, name: str, default: Any) -> Any:
        if name in self._raw:
            return self._raw[name]
        if default is _MISSING:
            raise ModelLoadError(f"{self.where}: attribute {name!r} is missing")
        return _Default(default)

    def _scalar(self, name: str, keys: tuple[str, ...], default: Any) -> Any:
        value = self._get(name, default)
        if isinstance(value, _Default):
            return value.value
        if not isinstance(value, dict):
            raise ModelLoadError(f"{self._where(name)} is not an attribute value: {value!r}")
        for key in keys:
            if key in value:
                return value[key]
        if not value:  # MLeap omits zero, false and "": {} is the zero of the type
            return "" if keys == ("string",) else 0
        raise ModelLoadError(f"{self._where(name)} should hold a {keys[0]}, got {value!r}")

    def _list(self, name: str, keys: tuple[str, ...], default: Any) -> list[Any]:
        value = self._get(name, default)
        if isinstance(value, _Default):
            return list(value.value)
        for key in keys:
            if key in value:
                items = value[key]
                return list(items) if isinstance(items, list) else [items]
        return []  # an empty list is {"type": "list"} with no element key

    def _where(self, name: str) -> str:
        return f"{self.where}: attribute {name!r}"


class _Default:
    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def _tensor(value: Mapping[str, Any], where: str) -> np.ndarray:
    key = next((k for k in ("double", "float", "long", "int", "boolean") if k in value), None)
    flat = [np.nan if v is None else v for v in value.get(key, [])] if key else []
    dims = [int(d.get("size", 0)) for d in value.get("shape", {}).get("dimensions", [])]
    array = np.array(flat, dtype=np.float64)
    if len(dims) <= 1:
        return array
    if int(np.prod(dims)) != array.size:
        raise ModelLoadError(f"{where}: tensor of shape {dims} holds {array.size} values")
    # Spark writes Matrix.toArray, which is column-major.
    return array.reshape(dims, order="F")
