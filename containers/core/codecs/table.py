"""Rows to tables and back: the shared core of the text codecs.

A decoded body is always a 2-D table (one CSV row is 1 x n, never 1-D). Headerless
rows take their column names from the stage; numbers become numbers, strings stay
strings, empty fields become missing values. Encoding flattens vector cells, so a
row of ``[0.5, array([1., 0.])]`` is written as three values.

The direct path skips pandas where it costs more than the work (one row through a
compiled scikit-learn stage): a `ColumnDecoder` reads a body into `Columns` (the
typed arrays the DataFrame would hold), and an `ArrayEncoder` writes an `ArrayTable`
(a stage's output array and its names) with the bytes the DataFrame path writes. Each
answers None for what it does not reproduce exactly, and the caller takes the
DataFrame path (`Columns.frame`, `ArrayTable.frame`).

`DEFAULT` is the table registry: the csv, json, jsonlines and npy codecs register
themselves in it, and stages layer their own over it (`DEFAULT.with_codecs`).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, runtime_checkable

import numpy as np
import pandas as pd
import pandas._config as pandas_config

from inferline.containers.core.codecs.base import Codec
from inferline.containers.core.codecs.numbertext import parsed_floats
from inferline.containers.core.codecs.registry import Registry
from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.containers.core.media import MediaType

TableCodec: TypeAlias = Codec[pd.DataFrame]
CodecRegistry: TypeAlias = Registry[pd.DataFrame, pd.DataFrame]
"""A registry of table codecs: bodies decode to DataFrames, DataFrames encode to bodies."""

DEFAULT: CodecRegistry = Registry()

MAX_CELLS = 1 << 24
"""Most values a decoded body may expand to (rows x features, 128 MiB as float64).

Sparse formats (RecordIO-protobuf, dense-record JSON) name a feature count the body
does not hold; a tiny body claiming 10^12 features is refused, not allocated."""
MAX_FEATURES = 1 << 20
"""Most features one row may declare (a sparse shape, a LibSVM or RecordIO index) when the
stage does not say how many it reads: 1,048,576, scikit-learn's HashingVectorizer's width.
With the stage's count, that count is the bound; both are checked before allocating."""


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
    names = column_names(common_width(rows, "values"), columns)
    return pd.DataFrame({name: [row[i] for row in rows] for i, name in enumerate(names)})


def frame_from_text_rows(rows: list[list[str]], columns: Sequence[str] | None) -> pd.DataFrame:
    """A table from rows of strings (CSV): each column is typed as a whole."""
    if not rows:
        return pd.DataFrame(columns=list(columns or []))
    return text_columns(rows, columns).frame()


def text_columns(rows: list[list[str]], columns: Sequence[str] | None) -> Columns:
    """The typed columns of one or more rows of strings (`frame_from_text_rows` without pandas).

    Raises:
        BadRequest: the rows differ in length (the first that differs is named).
        UnprocessableEntity: their width is not the stage's column count.
    """
    names = column_names(common_width(rows, "fields"), columns)
    return Columns(names, [typed_column(values) for values in zip(*rows, strict=True)])


def common_width(rows: Sequence[Sequence[Any]], unit: str) -> int:
    for number, row in enumerate(rows, start=1):
        if not isinstance(row, (list, tuple)):
            raise BadRequest(
                f"row {number} is a {type(row).__name__}, not a list of {unit}; "
                "send every row as a list (or every row as an object)"
            )
    width = len(rows[0])
    if len(set(map(len, rows))) == 1:  # the usual case, checked in C
        return width
    for number, row in enumerate(rows, start=1):
        if len(row) != width:
            raise BadRequest(f"row {number} has {len(row)} {unit}, row 1 has {width}")
    return width


_NOT_WHOLE = re.compile("[.A-Za-z]")


def typed_column(values: Sequence[str]) -> np.ndarray:
    """Whole numbers as int64, other numbers as float64 (empty = NaN), else strings."""
    missing = values.count("")
    if missing == len(values):
        return np.full(len(values), np.nan)
    if not missing:
        # map() runs the conversions in C; each failure falls through to the next typing.
        # int() refuses any text with a "." or a Latin letter in it: when the first value
        # has one (0.455, 1e5, nan, M), whole numbers are not tried (an exception saved).
        if not _NOT_WHOLE.search(values[0]):
            try:
                return np.array(list(map(int, values)), dtype=np.int64)
            except (ValueError, OverflowError):  # not whole numbers, or beyond int64
                pass
        floats = parsed_floats(values)
        if floats is not None:
            return floats
        try:
            return np.array(list(map(float, values)))
        except ValueError:
            return np.array(values, dtype=object)
    try:
        return np.array([float(value) if value != "" else math.nan for value in values])
    except ValueError:
        return np.array([value if value != "" else None for value in values], dtype=object)


@dataclass(frozen=True)
class Columns:
    """A decoded body before any DataFrame: each column's name and its typed array
    (int64, float64, or object holding str and None: what `typed_column` makes)."""

    names: list[str]
    values: list[np.ndarray]

    def framed_as_they_are(self) -> bool:
        """Whether `frame()` holds these very arrays as its columns (no conversion)."""
        return _FROM_ARRAYS is not None and _plain_columns(self)

    def frame(self) -> pd.DataFrame:
        """The DataFrame the codec's `decode` answers for the same body."""
        if _FROM_ARRAYS is not None and _plain_columns(self):  # framed_as_they_are
            # pandas' private _from_arrays without its checks builds the same frame (same
            # blocks, RangeIndex, object column Index) in a third of the time of the
            # dict constructor, which re-checks every array: most of a one-row call. The
            # checks only matter for what _plain_columns rules out.
            frame: pd.DataFrame = _FROM_ARRAYS(
                self.values,
                columns=_column_index(tuple(self.names)).view(),
                index=pd.RangeIndex(len(self.values[0])),
                verify_integrity=False,
            )
            return frame
        return pd.DataFrame(dict(zip(self.names, self.values, strict=True)))


_FROM_ARRAYS = getattr(pd.DataFrame, "_from_arrays", None)


# A stage's column names are the same on every call; building their Index costs 8x a
# view of one built before (a view has its own name and metadata: nothing is shared
# that a frame's user could change).
@functools.lru_cache(maxsize=64)
def _column_index(names: tuple[str, ...]) -> pd.Index:
    return pd.Index(list(names), dtype=object)


_PLAIN_DTYPES = frozenset(np.dtype(name) for name in ("int64", "float64", "object"))


def _plain_columns(columns: Columns) -> bool:
    """What the dict constructor would take as it is: distinct names, equal-length
    int64/float64/object arrays (of str and None: no datetimes for pandas to infer), and
    pandas not turning strings into its string dtype."""
    values = columns.values
    return (
        bool(values)
        and len(set(columns.names)) == len(columns.names) == len(values)
        and len({len(array) for array in values}) == 1
        and all(array.dtype in _PLAIN_DTYPES and array.ndim == 1 for array in values)
        and not _strings_inferred()
    )


def _strings_inferred() -> bool:
    """pandas' future.infer_string: its constructors then turn str objects into str dtype."""
    # pandas' own (private) check is a dict lookup; get_option costs more than building
    # the frame this way saves.
    check = getattr(pandas_config, "using_string_dtype", None)
    if check is None:
        return bool(pd.get_option("future.infer_string"))
    return bool(check())


@dataclass(frozen=True)
class ArrayTable:
    """A stage's output as it came: a 1-D array (one column) or a 2-D one, and its names."""

    array: np.ndarray
    names: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """The DataFrame the stage answers on the DataFrame path."""
        if self.array.ndim == 1:
            return pd.DataFrame({self.names[0]: self.array})
        return pd.DataFrame(self.array, columns=list(self.names))


@runtime_checkable
class ColumnDecoder(Protocol):
    """A codec that can read a body straight into `Columns`."""

    mimetype: str

    def decode_columns(
        self, body: bytes, media: MediaType, columns: Sequence[str] | None
    ) -> Columns | None:
        """The body's columns, or None where only `decode` reads it exactly (no rows).

        Raises the same errors, with the same messages, as `decode` on the same body.
        """
        ...


@runtime_checkable
class ArrayEncoder(Protocol):
    """A codec that can write an `ArrayTable` without a DataFrame."""

    mimetype: str

    def encode_array(self, table: ArrayTable, media: MediaType) -> bytes | None:
        """The bytes `encode(table.frame(), media)` writes, or None where it cannot say."""
        ...


NUMBER_DTYPES = frozenset(np.dtype(name) for name in ("float64", "float32", "int64", "int32"))
"""Output dtypes the array encoders write: `tolist` gives Python floats and ints, as the
DataFrame's columns do (other dtypes take the DataFrame path)."""


def number_array(table: ArrayTable, infinities: bool) -> np.ndarray | None:
    """The table's array if the array writers can print it (`numbertext`), else None: a
    dtype outside NUMBER_DTYPES, NaN, an infinity unless `infinities`, no values, or a
    repeated name (pandas reads it as several columns)."""
    array = table.array
    if array.dtype not in NUMBER_DTYPES or array.ndim not in (1, 2) or not array.size:
        return None
    if len(set(table.names)) != len(table.names):
        return None
    if array.dtype.kind == "f":
        if not (np.isfinite(array).all() or (infinities and not np.isnan(array).any())):
            return None
    return array


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
