"""SageMaker's common dense-record JSON: the request shapes of the built-in algorithms.

The linear-learner and xgboost stages take numbers per row in any of these forms;
each decodes to a table of numeric columns "0", "1", ...::

    {"instances": [{"features": [1.5, 16.0]}, ...]}            application/json
    {"instances": [{"data": {"features": {"values": [...]}}}]}  dense, as documented
    {"instances": [{"data": {"features": {"keys": [0, 3], "shape": [4], "values": [...]}}}]}
    {"features": [1.5, 16.0]}                                   one row (a JSON Lines line)

Any other JSON (``[[1.5, 16.0]]``, ``{"instances": [[...]]}``, ...) is read as the
default JSON codec reads rows. Sparse records fill absent keys with 0, as SageMaker's
sparse format means. Encoding is the default codecs': ``{"predictions": [{...}]}``
for JSON, one object per line for JSON Lines. `feature_matrix` turns the decoded
table into the float matrix those models predict on.

The direct path skips pandas for what these stages mostly get, numbers:
`dense_matrix` reads a plain numeric JSON, JSON Lines or CSV body straight into the
matrix `feature_matrix` would give, and `column_body` writes one column of float
scores with the bytes the JSON, JSON Lines and CSV codecs write. Both parse and print
with orjson (several times the standard json module's speed on 1,000 rows; parsing
through the JSON codec's own `parse`, which the sklearn stage's direct path reads
with too, so one rule says when orjson's numbers are json's) and answer
None for anything they do not reproduce exactly: the caller then takes the table
path, which reads the body again and names what is wrong with it.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.base import CSV, JSON, JSONLINES
from inferline.containers.core.codecs.json import (
    JsonCodec,
    frame_from_document_rows,
    load,
    parse,
    rows_from_document,
)
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec, documents
from inferline.containers.core.codecs.numbertext import (
    NEGATIVE_ZERO,
    number_texts,
    printed_as_repr,
)
from inferline.containers.core.codecs.table import (
    MAX_CELLS,
    MAX_FEATURES,
    check_cells,
    frame_from_rows,
)
from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.containers.core.media import MediaType

__all__ = [
    "DenseJsonCodec",
    "DenseJsonLinesCodec",
    "column_body",
    "dense_matrix",
    "feature_matrix",
    "is_record",
    "record_values",
]


def record_values(record: Any, number: int, features: int | None = None) -> list[Any] | None:
    """The feature values of one record, or None when it is not a SageMaker record.

    A sparse record's shape is checked before its row is made: past `features` (the
    stage's count) it is a 422, past MAX_FEATURES (when the stage does not say) a 400.
    """
    if not isinstance(record, dict):
        return None
    if "features" in record:
        values = record["features"]
    elif isinstance(record.get("data"), dict) and isinstance(record["data"].get("features"), dict):
        values = _tensor_values(record["data"]["features"], number, features)
    else:
        return None
    if not isinstance(values, list):
        raise BadRequest(f"record {number}: features must be a list of numbers")
    return values


def is_record(document: Any) -> bool:
    """Whether a JSON document is one SageMaker record rather than a list of rows."""
    return record_values(document, 1) is not None if isinstance(document, dict) else False


def _tensor_values(tensor: dict[str, Any], number: int, features: int | None) -> list[Any]:
    values = tensor.get("values")
    if not isinstance(values, list):
        raise BadRequest(f"record {number}: data.features.values must be a list of numbers")
    if "keys" not in tensor:
        return values
    keys, shape = tensor["keys"], tensor.get("shape")
    if not (isinstance(keys, list) and isinstance(shape, list) and len(shape) == 1):
        raise BadRequest(f"record {number}: a sparse record needs keys and a 1-D shape")
    size = shape[0]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_FEATURES:
        raise BadRequest(
            f"record {number}: shape [{size!r}] must be a whole number of features "
            f"(0 to {MAX_FEATURES})"
        )
    if features is not None and size > features:
        raise UnprocessableEntity(
            f"record {number}: shape [{size}] is beyond the {features} features the model reads"
        )
    if len(keys) != len(values):
        raise BadRequest(f"record {number}: {len(keys)} keys but {len(values)} values")
    dense: list[Any] = [0.0] * size
    for key, value in zip(keys, values, strict=True):
        if not (isinstance(key, int) and 0 <= key < len(dense)):
            raise BadRequest(f"record {number}: key {key!r} is outside shape {shape}")
        dense[key] = value
    return dense


def frame_from_documents(docs: list[Any], columns: Sequence[str] | None) -> pd.DataFrame:
    """Rows from each document: SageMaker records when they are, else default JSON rows."""
    rows: list[Any] = []
    cells = 0
    for doc in docs:
        for record in rows_from_document(doc)[0]:
            values = record_values(record, len(rows) + 1, None if columns is None else len(columns))
            rows.append(record if values is None else values)
            cells += 0 if values is None else len(values)
            check_cells(1, cells, "the body's sparse records")
    if any(isinstance(row, dict) for row in rows):
        return frame_from_document_rows(rows, columns)
    return frame_from_rows(rows, columns)


class DenseJsonCodec(JsonCodec):
    """application/json: SageMaker dense records, or any row shape the default codec reads."""

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        document = load(body)
        return frame_from_documents([[document] if is_record(document) else document], columns)


class DenseJsonLinesCodec(JsonLinesCodec):
    """application/jsonlines: one record (``{"features": [...]}``) or row per line."""

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        docs = [[doc] if is_record(doc) else doc for doc in documents(body)]
        return frame_from_documents(docs, columns)


def feature_matrix(
    frame: pd.DataFrame, width: int | None, dtype: type[np.floating] = np.float64
) -> np.ndarray:
    """The decoded rows as a float matrix of `dtype`; missing values are NaN.

    Raises:
        UnprocessableEntity: a row has the wrong width or a non-numeric value (named).
    """
    if width is not None and frame.shape[1] != width:
        raise UnprocessableEntity(f"expected {width} features per row, got {frame.shape[1]}")
    try:
        return frame.to_numpy(dtype=dtype, na_value=np.nan)
    except (TypeError, ValueError):
        for position, name in enumerate(frame.columns):
            for row, value in enumerate(frame[name].tolist(), start=1):
                if not _is_number(value):
                    raise UnprocessableEntity(
                        f"row {row}, feature {position}: {value!r} is not a number"
                    ) from None
        raise


def _is_number(value: Any) -> bool:
    if value is None:
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


CSV_NUMBER_BYTES = b"0123456789+-.eE, \t\r\n"
"""The bytes of a CSV body of plain numbers: anything else (quotes, letters, brackets,
non-ASCII, a byte-order mark) is the csv module's to read."""
MATRIX_DTYPES = (np.dtype(np.float64), np.dtype(np.int64))


def dense_matrix(body: bytes, mimetype: str) -> np.ndarray | None:
    """The rows of a plain numeric body as `feature_matrix` gives them, else None.

    Reads dense records (``{"instances": [{"features": [...]}]}``, one ``{"features":
    [...]}``) and lists of numbers in JSON or per JSON Lines line, and headerless CSV
    of JSON-style numbers. The matrix is float64 in column-major order, as pandas lays
    out a frame's values: BLAS sums a row-major matrix in another order, which can
    change the last bit of a score. None for everything else (no rows, missing values,
    strings, ragged rows, sparse records, ...): the codecs then read the body.
    """
    if mimetype == JSON:
        document = parse(body, exact_integers=False)
        rows, keys = (None, 0) if document is None else _document_rows(document)
    elif mimetype == JSONLINES:
        rows, keys = _jsonlines_rows(body)
    elif mimetype == CSV:
        rows, keys = _csv_rows(body), 0
    else:
        return None
    if not rows:
        return None
    # Each key the rows were found under is two quotes; any more, and a value may be a
    # string (which float() would read, and the table path may not).
    if mimetype == CSV or body.count(b'"') == 2 * keys:
        return _numbers_matrix(rows)
    return _checked_matrix(rows)


def _numbers_matrix(rows: list[Any]) -> np.ndarray | None:
    """Equal-length rows of JSON numbers (no strings among them), read column by column:
    three times faster than `np.array` on 1,000 rows, and in pandas' layout at once."""
    try:
        width, count = len(rows[0]), len(rows)
        if len(set(map(len, rows))) != 1 or not 0 < count * width <= MAX_CELLS:
            return None
        # null reads as NaN, true/false as 1.0/0.0, as in the frame; lists and objects fail
        columns = chain.from_iterable(zip(*rows, strict=True))
        values = np.fromiter(columns, np.float64, count * width)
    except (TypeError, ValueError):
        return None
    return values.reshape(width, count).T


def _checked_matrix(rows: list[Any]) -> np.ndarray | None:
    """Rows whose values numpy finds to be numbers alone, in pandas' layout."""
    try:
        matrix = np.array(rows)
    except (ValueError, TypeError, OverflowError):  # ragged, or beyond int64
        return None
    if matrix.ndim != 2 or matrix.dtype not in MATRIX_DTYPES or not 0 < matrix.size <= MAX_CELLS:
        return None
    return np.array(matrix.T, dtype=np.float64, order="C").T  # one (columns, rows) block


def _document_rows(document: Any) -> tuple[list[Any] | None, int]:
    """The rows the table path reads from one JSON document, when each is a list of values
    or a record with ``features`` (None for any other shape: the table path decides), and
    how many object keys they were found under."""
    keys = 0
    if type(document) is dict:
        if "features" in document:  # one record (`is_record`)
            items: Any = [document]
        elif "instances" in document and not ("data" in document or "columns" in document):
            items, keys = document["instances"], 1
        else:
            return None, 0
    else:
        items = document
    if type(items) is not list or not items:
        return None, 0
    if type(items[0]) not in (list, dict):
        return [items], keys  # a list of scalars is one row (nested values fail later)
    rows = []
    for item in items:
        if type(item) is list:
            rows.append(item)
        elif type(item) is dict and type(item.get("features")) is list:
            rows.append(item["features"])
            keys += 1
        else:
            return None, 0
    return rows, keys


def _jsonlines_rows(body: bytes) -> tuple[list[Any] | None, int]:
    rows: list[Any] = []
    keys = 0
    for line in body.splitlines():
        if line.strip():
            document = parse(line, exact_integers=False)
            found, found_keys = (None, 0) if document is None else _document_rows(document)
            if found is None:
                return None, 0
            rows.extend(found)
            keys += found_keys
    return rows, keys


def _csv_rows(body: bytes) -> list[Any] | None:
    """CSV rows of JSON-style numbers, parsed as one JSON array.

    Only digits, signs, points, exponents, commas and whitespace get here, so no CSV
    quoting and no JSON structure (or string, or literal) can hide in a field; what
    JSON's grammar refuses (``+1``, ``.5``, ``nan``, an empty field) is the csv module's
    to read. A whole number is an int and any other a correctly rounded float, as
    `typed_column` makes them. Blank lines inside the body give empty rows, and so the
    table path.
    """
    if body.translate(None, CSV_NUMBER_BYTES) or NEGATIVE_ZERO.search(body):
        return None
    lines = body.strip(b"\r\n")
    rows: Any = parse(b"[[" + lines.replace(b"\n", b"],[") + b"]]", exact_integers=False)
    return None if rows is None else list(rows)


def column_body(name: str, values: np.ndarray, mimetype: str) -> bytes | None:
    """One column of floats written as the JSON, JSON Lines or CSV codec writes the frame
    ``{name: values}``, else None.

    json and csv write a float as its repr, as `number_texts` prints it (a float32 score
    as the double it widens to); missing values (null, an empty field) and infinities
    (refused by json) take the codecs.
    """
    if values.ndim != 1 or values.dtype.kind != "f" or not values.size:
        return None
    if mimetype not in (JSON, JSONLINES, CSV):
        return None
    printed = printed_as_repr(values)
    if not (printed or np.isfinite(values).all()):
        return None
    texts = number_texts(values, printed)
    if mimetype == CSV:
        return b"\n".join(texts) + b"\n"
    key = _json_key(name)
    if mimetype == JSONLINES:
        return key + (b"}\n" + key).join(texts) + b"}\n"
    return b'{"predictions":[' + key + (b"}," + key).join(texts) + b"}]}"


@functools.cache
def _json_key(name: str) -> bytes:
    """``{"name":`` as json.dumps writes the key."""
    return b"{" + json.dumps(name).encode() + b":"
