"""application/json: the row shapes people send, and ``{"predictions": [...]}`` back.

Accepted request bodies (each row a list of values in column order, or an object
keyed by column name)::

    {"instances": [[...], ...]}     SageMaker / TF Serving style
    {"inputs": [[...], ...]}        KServe style
    {"data": [...]} or {"data": [[...], ...]}   SparkML container style
    {"columns": [...], "data": [[...], ...]}   pandas "split" orientation
    [[...], ...] or [{...}, ...]    a bare list of rows
    {...}                           one object: one row

A list of scalars is one row. Responses are ``{"predictions": [{column: value}, ...]}``,
which this codec also reads back, so JSON stages chain.

Bodies are parsed by orjson (several times json's speed) where it gives json's objects
exactly, and by json otherwise (see `parse`). `document_columns` is the direct path:
the rows of a document as the `Columns` the DataFrame path would build, or None for
what only pandas types exactly (bools, nested values, mixed kinds, ragged records).
"""

from __future__ import annotations

import functools
import json
import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np
import orjson
import pandas as pd

from inferline.containers.core.codecs.base import JSON
from inferline.containers.core.codecs.numbertext import number_texts, printed_as_repr, row_texts
from inferline.containers.core.codecs.table import (
    DEFAULT,
    ArrayTable,
    Columns,
    column_names,
    common_width,
    frame_from_rows,
    number_array,
    records_of,
)
from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.containers.core.media import MediaType

ROW_KEYS = ("instances", "inputs", "data", "predictions")


# orjson reads an integer beyond 64 bits as a float (json: an exact int). Any integer
# part of 19 digits or more (not a fraction's digits, not followed by a point or an
# exponent) could be one, and sends the body to json.
_LONG_INTEGER = re.compile(rb"(?<![0-9.])[0-9]{19}(?![0-9]*[.eE])")
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"0" * 9)
_DIGIT_RUN = b"0" * 19  # any 19 digits in a row, found in the translated body by memchr


def parse(body: bytes, exact_integers: bool = True) -> Any | None:
    """`body` as orjson parses it where that is json's document exactly, else None.

    orjson refuses what json reads beyond RFC 8259 (NaN, Infinity, 1e400 as inf, lone
    surrogates, a byte-order mark, UTF-16, nesting past 1,024) and json refuses all
    orjson does; both keep the last of repeated keys in the first one's place, and read
    every float and every integer within 64 bits alike (tests/property/
    test_fast_paths.py). Integers past 64 bits are orjson's correctly rounded floats:
    None unless not `exact_integers` (a reader that makes floats of them anyway, as
    `dense_matrix`). None sends the body to `json.loads`, which also names what is
    wrong with it.
    """
    if exact_integers and _DIGIT_RUN in body.translate(_DIGITS_AS_ZERO):
        if _LONG_INTEGER.search(body):  # seldom reached: the regex alone costs 17 µs/KB
            return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return None


def load(body: bytes, what: str = "JSON body") -> Any:
    """`body` parsed as JSON (by orjson where `parse` can, else by json).

    Raises:
        BadRequest: malformed (line and column named), or nested deeper than Python's
            parser recurses (``[[[[...]]]]`` 10,000 deep): refused, never a 500.
    """
    document = parse(body)
    if document is not None:
        return document
    try:
        return json.loads(body)
    except RecursionError:
        # The C parser recurses once per level and stops at the interpreter's limit;
        # catching it here (not counting brackets first) costs nothing on sane bodies.
        raise BadRequest(
            f"{what} is nested too deeply (over {sys.getrecursionlimit()} levels of "
            "arrays or objects); send rows at most a few levels deep"
        ) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = (
            f" at line {error.lineno} column {error.colno}"
            if isinstance(error, json.JSONDecodeError)
            else ""
        )
        raise BadRequest(f"malformed {what}{where}: {error}") from None


def rows_from_document(document: Any) -> tuple[list[Any], Sequence[str] | None]:
    """The rows a JSON document holds, and column names when it names them."""
    if isinstance(document, dict):
        if "columns" in document and "data" in document:
            names = document["columns"]
            if not isinstance(names, list):
                raise BadRequest('"columns" must be a list of column names')
            return _as_rows(document["data"]), [str(name) for name in names]
        for key in ROW_KEYS:
            if key in document:
                return _as_rows(document[key]), None
        return [document], None
    if isinstance(document, list):
        return _as_rows(document), None
    raise BadRequest(
        f"JSON body must be an object or a list of rows, got {type(document).__name__}"
    )


def frame_from_document_rows(rows: list[Any], columns: Sequence[str] | None) -> pd.DataFrame:
    if rows and all(isinstance(row, dict) for row in rows):
        return pd.DataFrame.from_records(rows)
    if any(isinstance(row, dict) for row in rows):
        if columns is None:
            raise BadRequest(
                "JSON rows mix objects and lists, and no column names say how to align them"
            )
        records = [
            row
            if isinstance(row, dict)
            else dict(zip(column_names(len(_listed(row, number)), columns), row, strict=True))
            for number, row in enumerate(rows, start=1)
        ]
        return pd.DataFrame.from_records(records)
    return frame_from_rows(rows, columns)


def document_columns(rows: list[Any], columns: Sequence[str] | None) -> Columns | None:
    """`frame_from_document_rows(rows, columns)` as `Columns`, or None where pandas types
    the values in ways not copied here; raises what it raises for rows of lists.

    Rows are all lists (named by `columns` or by position) or all objects with the same
    keys in the same order (named by them, as ``DataFrame.from_records``).
    """
    if not rows:
        return None
    first = rows[0]
    if type(first) is dict:
        keys = list(first)
        if not keys or any(type(row) is not dict or list(row) != keys for row in rows):
            return None
        names: list[str] = keys
        cells: Any = zip(*(row.values() for row in rows), strict=True)
    elif any(isinstance(row, dict) for row in rows):
        return None
    else:
        names = column_names(common_width(rows, "values"), columns)
        cells = zip(*rows, strict=True)
    values = []
    for cell in cells:
        typed = typed_values(cell)
        if typed is None:
            return None
        values.append(typed)
    return Columns(names, values)


_INT64 = (-(1 << 63), 1 << 63)
_FLOAT_KINDS = (frozenset({float}), frozenset({float, type(None)}))


def typed_values(values: Sequence[Any]) -> np.ndarray | None:
    """The array pandas makes of one column of JSON values, for the kinds copied here:
    ints (int64), numbers with or without nulls (float64, null as NaN), strings with or
    without nulls (object); None for the rest (bools, lists, objects, mixed kinds, all
    nulls, ints beyond int64, which pandas keeps as uint64 or objects)."""
    kinds = frozenset(map(type, values))
    try:
        if kinds == {int}:
            return np.array(values, dtype=np.int64)
        if kinds in _FLOAT_KINDS:
            return np.array(values, dtype=np.float64)  # None is NaN
        if int in kinds and kinds <= {int, float, type(None)}:
            if not all(_INT64[0] <= v < _INT64[1] for v in values if type(v) is int):
                return None
            return np.array(values, dtype=np.float64)
    except OverflowError:
        return None
    if kinds <= {str, type(None)} and str in kinds:
        array = np.empty(len(values), dtype=object)
        array[:] = values
        return array
    return None


def _listed(row: Any, number: int) -> list[Any]:
    if not isinstance(row, list):
        raise BadRequest(f"row {number} is a {type(row).__name__}, not a list or an object")
    return row


def dumps(value: Any) -> bytes:
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False).encode()
    except ValueError as error:
        raise UnprocessableEntity(f"output cannot be written as JSON: {error}") from None


def number_body(table: ArrayTable, lines: bool) -> bytes | None:
    """What the JSON codec (or, if `lines`, JSON Lines) writes for `records_of(table.frame())`,
    for finite numbers; else None (NaN is null, infinities are refused: `records_of`).

    Records of plain names are built as dicts and written by orjson where it prints every
    number as json does (`printed_as_repr`; 1 row: 2.6 µs against 3.4 for the template);
    any others are one template a row over `number_texts`, which prints them as json
    does too.
    """
    array = number_array(table, infinities=False)
    if array is None:
        return None
    printed = printed_as_repr(array)
    if not (printed and all(map(plain_name, table.names))):
        records = _record_texts(table, array, printed)
        if lines:
            return b"\n".join(records) + b"\n"
        return b'{"predictions":[' + b",".join(records) + b"]}"
    names = table.names
    values: list[Any] = array.tolist()
    if array.ndim == 1:
        name = names[0]
        found: list[dict[str, Any]] = [{name: value} for value in values]
    else:
        found = [dict(zip(names, row, strict=True)) for row in values]
    if lines:
        return b"\n".join(map(orjson.dumps, found)) + b"\n"
    return orjson.dumps({"predictions": found})


@functools.lru_cache(maxsize=256)
def plain_name(name: str) -> bool:
    """Whether orjson writes `name` as a key as json.dumps does: printable ASCII without
    quotes or backslashes (json escapes the rest as \\uXXXX, orjson writes UTF-8)."""
    return name.isascii() and name.isprintable() and '"' not in name and "\\" not in name


def number_records(table: ArrayTable) -> list[bytes] | None:
    """`dumps` of each of `records_of(table.frame())`, for finite numbers; else None.

    json writes a float as its repr and an int as its str, so each record is one %
    format of the row's `number_texts`. NaN (null), infinities (refused), other dtypes
    and repeated names take `records_of`.
    """
    array = number_array(table, infinities=False)
    return None if array is None else _record_texts(table, array)


def _record_texts(table: ArrayTable, array: np.ndarray, printed: bool | None = None) -> list[bytes]:
    keys = (json.dumps(name).replace("%", "%%") for name in table.names)  # ASCII
    template = ("{" + ",".join(f"{key}:%b" for key in keys) + "}").encode()
    if array.ndim == 1:
        return [template % (text,) for text in number_texts(array, printed)]
    return [template % tuple(row) for row in row_texts(array, printed)]


def _as_rows(value: Any) -> list[Any]:
    if not isinstance(value, list):
        return [value] if isinstance(value, dict) else [[value]]
    if value and all(not isinstance(item, (list, dict)) for item in value):
        return [value]
    return value


@DEFAULT.register
class JsonCodec:
    mimetype = JSON

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        rows, named = rows_from_document(load(body))
        return frame_from_document_rows(rows, named or columns)

    def decode_columns(
        self, body: bytes, media: MediaType, columns: Sequence[str] | None
    ) -> Columns | None:
        if type(self).decode is not JsonCodec.decode:
            return None  # a subclass reads JSON its own way (dense records)
        rows, named = rows_from_document(load(body))
        return document_columns(rows, named or columns)

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return dumps({"predictions": records_of(frame)})

    def encode_array(self, table: ArrayTable, media: MediaType) -> bytes | None:
        if type(self).encode is not JsonCodec.encode:
            return None  # a subclass writes JSON its own way
        return number_body(table, lines=False)
