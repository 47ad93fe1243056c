"""Rows to tables and back: the shared core of the text codecs.

A decoded body is always a 2-D table (one CSV row is 1 x n, never 1-D). Headerless
rows take their column names from the stage; numbers become numbers, strings stay
strings, empty fields become missing values. Encoding flattens vector cells, so a
row of ``[0.5, array([1., 0.])]`` is written as three values.

`DEFAULT` is the table registry: the csv, json, jsonlines and npy codecs register
themselves in it, and stages layer their own over it (`DEFAULT.with_codecs`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.base import Codec
from inferline.containers.core.codecs.registry import Registry
from inferline.containers.core.errors import BadRequest, UnprocessableEntity

TableCodec: TypeAlias = Codec[pd.DataFrame]
CodecRegistry: TypeAlias = Registry[pd.DataFrame, pd.DataFrame]
"""A registry of table codecs: bodies decode to DataFrames, DataFrames encode to bodies."""

DEFAULT: CodecRegistry = Registry()

MAX_CELLS = 1 << 24
"""Most values a decoded body may expand to (rows x features, 128 MiB as float64).

Sparse formats (RecordIO-protobuf, dense-record JSON) name a feature count the body
does not hold; a tiny body claiming 10^12 features is refused, not allocated."""


def check_cells(rows: int, width: int, what: str) -> None:
    """Refuse `rows` x `width` values beyond MAX_CELLS, naming `what` claimed them.

    Raises:
        BadRequest: the table would hold more than MAX_CELLS values.
    """
    if width < 0 or rows * width > MAX_CELLS:
        raise BadRequest(
            f"{what} claims {rows} x {width} values, over the {MAX_CELLS} one request may hold"
        )


def column_names(width: int, columns: Sequence[str] | None) -> list[str]:
    """Names for `width` headerless values: the stage's, else positions "0", "1", ..."""
    if columns is None:
        return [str(index) for index in range(width)]
    if len(columns) != width:
        shown = ", ".join(columns[:12]) + (", ..." if len(columns) > 12 else "")
        raise UnprocessableEntity(f"expected {len(columns)} values per row ({shown}), got {width}")
    return list(columns)


def frame_from_rows(rows: Sequence[Sequence[Any]], columns: Sequence[str] | None) -> pd.DataFrame:
    """A table from equal-length rows of already-typed values (JSON rows)."""
    if not rows:
        return pd.DataFrame(columns=list(columns or []))
    names = column_names(_common_width(rows, "values"), columns)
    return pd.DataFrame({name: [row[i] for row in rows] for i, name in enumerate(names)})


def frame_from_text_rows(rows: list[list[str]], columns: Sequence[str] | None) -> pd.DataFrame:
    """A table from rows of strings (CSV): each column is typed as a whole."""
    if not rows:
        return pd.DataFrame(columns=list(columns or []))
    names = column_names(_common_width(rows, "fields"), columns)
    return pd.DataFrame(
        {name: typed_column([row[i] for row in rows]) for i, name in enumerate(names)}
    )


def _common_width(rows: Sequence[Sequence[Any]], unit: str) -> int:
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, (list, tuple)):
            raise BadRequest(
                f"row {number} is a {type(row).__name__}, not a list of {unit}; "
                "send every row as a list (or every row as an object)"
            )
    width = len(rows[0])
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise BadRequest(f"row {number} has {len(row)} {unit}, row 1 has {width}")
    return width


def typed_column(values: list[str]) -> np.ndarray:
    """Whole numbers as int64, other numbers as float64 (empty = NaN), else strings."""
    present = [value for value in values if value != ""]
    if not present:
        return np.full(len(values), np.nan)
    try:
        if len(present) == len(values):
            return np.array([int(value) for value in values], dtype=np.int64)
    except (ValueError, OverflowError):  # not whole numbers, or beyond int64
        pass
    try:
        return np.array([float(value) if value != "" else math.nan for value in values])
    except ValueError:
        return np.array([value if value != "" else None for value in values], dtype=object)


def has_vectors(frame: pd.DataFrame) -> bool:
    return any(
        frame[name].dtype == object and _is_vector(frame[name].iat[0])
        for name in frame
        if len(frame)
    )


def rows_of(frame: pd.DataFrame) -> list[list[Any]]:
    """Plain Python rows with vector cells flattened in place (for CSV and npy)."""
    if not has_vectors(frame):
        return [list(row) for row in _value_rows(frame)]
    rows: list[list[Any]] = []
    for row in _value_rows(frame):
        flat: list[Any] = []
        for cell in row:
            flat.extend(cell) if isinstance(cell, list) else flat.append(cell)
        rows.append(flat)
    return rows


def records_of(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """One JSON-ready object per row, keyed by column name (vectors as lists)."""
    names = [str(name) for name in frame.columns]
    return [dict(zip(names, row, strict=True)) for row in _value_rows(frame)]


def _value_rows(frame: pd.DataFrame) -> Iterator[tuple[Any, ...]]:
    return zip(*(plain_values(frame[name]) for name in frame), strict=True)


def plain_values(column: pd.Series) -> list[Any]:
    """A column as JSON-ready Python values: NaN becomes None, arrays become lists."""
    if column.dtype.kind in "iub":
        return column.tolist()
    if column.dtype.kind == "f":
        return [None if math.isnan(value) else value for value in column.tolist()]
    return [_plain(value) for value in column.tolist()]


def _plain(value: Any) -> Any:
    if _is_vector(value):
        return [_plain(item) for item in np.asarray(value).tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _is_vector(value: Any) -> bool:
    return isinstance(value, (np.ndarray, list, tuple))
