"""SAGEMAKER_SPARKML_SCHEMA: the request columns and the one output column.

The AWS format (sagemaker-sparkml-serving-container README)::

    {"input": [{"name": "sex", "type": "string"}, {"name": "length", "type": "double"}],
     "output": {"name": "features", "type": "double", "struct": "vector"}}

``type`` is boolean, byte, short, int, long, float, double or string; ``struct`` is
basic (the default), vector (double only) or array. `SparkSchema.frame` casts decoded
rows into leap-frame columns, naming the row, column and value that do not fit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.stages.sparkml.columns import Frame
from inferline.stages.sparkml.javatext import java_double

TYPES = ("boolean", "byte", "short", "int", "long", "float", "double", "string")
STRUCTS = ("basic", "vector", "array")
INTEGER_TYPES = ("byte", "short", "int", "long")


@dataclass(frozen=True)
class ColumnSchema:
    """One column of the schema: name, type and struct (basic, vector, array)."""

    name: str
    type: str
    struct: str = "basic"


@dataclass(frozen=True)
class SparkSchema:
    """The request columns, in payload order, and the one output column."""

    input: tuple[ColumnSchema, ...]
    output: ColumnSchema

    @classmethod
    def parse(
        cls, document: Any, source: str, error: Callable[[str], Exception] = BadRequest
    ) -> SparkSchema:
        """Validate a schema document; `error` builds the exception (naming `source`)."""
        if (
            not isinstance(document, dict)
            or not isinstance(document.get("input"), list)
            or (not isinstance(document.get("output"), dict))
        ):
            raise error(
                f'{source}: a schema is {{"input": [{{name, type, struct}}, ...], '
                f'"output": {{name, type, struct}}}}'
            )
        inputs = tuple(
            _column(item, f"{source} input {i + 1}", error)
            for i, item in enumerate(document["input"])
        )
        if not inputs:
            raise error(f"{source}: the schema's input list is empty")
        return cls(inputs, _column(document["output"], f"{source} output", error))

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.input]

    def frame(self, rows: Sequence[Sequence[Any]]) -> Frame:
        """Leap-frame columns from rows of raw values (CSV text or JSON values)."""
        width = len(self.input)
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                raise BadRequest(
                    f"row {number} has {len(row)} fields but the schema has {width} "
                    f"({', '.join(self.names)})"
                )
        return {
            column.name: _cast_column(column, [row[i] for row in rows])
            for i, column in enumerate(self.input)
        }


def _column(item: Any, where: str, error: Callable[[str], Exception]) -> ColumnSchema:
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        raise error(f'{where}: expected {{"name": ..., "type": ...}}, got {item!r}')
    kind = str(item.get("type", "")).lower()
    struct = str(item.get("struct") or "basic").lower()
    if kind not in TYPES:
        raise error(
            f"{where} ({item['name']!r}): type must be one of {', '.join(TYPES)}, "
            f"got {item.get('type')!r}"
        )
    if struct not in STRUCTS:
        raise error(
            f"{where} ({item['name']!r}): struct must be one of {', '.join(STRUCTS)}, "
            f"got {item.get('struct')!r}"
        )
    if struct == "vector" and kind != "double":
        raise error(f"{where} ({item['name']!r}): a vector must have type double")
    return ColumnSchema(item["name"], kind, struct)


def _cast_column(column: ColumnSchema, values: list[Any]) -> np.ndarray:
    cast = _CASTS[column.type]
    if column.struct == "basic":
        return _array(column.type, _each(column, values, cast))
    if column.struct == "vector":
        vectors = _each(column, values, lambda v: [_double(x) for x in _as_list(v)])
        if len({len(v) for v in vectors}) > 1:
            raise UnprocessableEntity(
                f"column {column.name!r}: vectors differ in length across rows "
                f"({sorted({len(v) for v in vectors})})"
            )
        return np.array(vectors, dtype=np.float64).reshape(len(values), -1)
    lists = np.empty(len(values), dtype=object)
    lists[:] = _each(column, values, lambda v: [cast(x) for x in _as_list(v)])
    return lists


def _each(column: ColumnSchema, values: list[Any], cast: Callable[[Any], Any]) -> list[Any]:
    """`cast` over the rows; a value that does not fit names its column and row."""
    try:
        return [cast(v) for v in values]
    except _Unfit as unfit:
        row = next(i for i, v in enumerate(values) if _fails(cast, v)) + 1
        kind = column.type if column.struct == "basic" else f"{column.type} {column.struct}"
        raise UnprocessableEntity(
            f"column {column.name!r} (row {row}): {unfit.value!r} is not a valid {kind} "
            f"({unfit.reason})"
        ) from None


def _fails(cast: Callable[[Any], Any], value: Any) -> bool:
    try:
        cast(value)
    except _Unfit:
        return True
    return False


class _Unfit(Exception):
    def __init__(self, reason: str, value: Any) -> None:
        super().__init__(reason)
        self.reason, self.value = reason, value


def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str):  # CSV can not carry lists; Spark reads "1,2" nowhere
        raise _Unfit("expected a list", value)
    if not isinstance(value, (list, tuple)):
        raise _Unfit("expected a list", value)
    return list(value)


def _double(value: Any) -> float:
    if value is None or value == "":
        return math.nan
    if isinstance(value, bool):
        raise _Unfit("a boolean is not a number", value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            raise _Unfit("not a number", value) from None
    raise _Unfit("not a number", value)


def _integer(value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Unfit("a boolean is not a number", value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            raise _Unfit("not a whole number", value) from None
    raise _Unfit("not a whole number", value)


def _boolean(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise _Unfit("expected true or false", value)


def _string(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, int):
        return str(value)
    raise _Unfit("expected text", value)


_CASTS: dict[str, Callable[[Any], Any]] = {
    "double": _double,
    "float": _double,
    "string": _string,
    "boolean": _boolean,
    **{name: _integer for name in INTEGER_TYPES},
}


def _array(kind: str, values: list[Any]) -> np.ndarray:
    if kind in ("double", "float"):
        return np.array(values, dtype=np.float64)
    if kind in INTEGER_TYPES and None not in values:
        return np.array(values, dtype=np.int64)
    if kind == "boolean" and None not in values:
        return np.array(values, dtype=bool)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array
