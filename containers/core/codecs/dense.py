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
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.json import (
    JsonCodec,
    frame_from_document_rows,
    load,
    rows_from_document,
)
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec, documents
from inferline.containers.core.codecs.table import MAX_CELLS, check_cells, frame_from_rows
from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.containers.core.media import MediaType

__all__ = [
    "DenseJsonCodec",
    "DenseJsonLinesCodec",
    "feature_matrix",
    "is_record",
    "record_values",
]


def record_values(record: Any, number: int) -> list[Any] | None:
    """The feature values of one record, or None when it is not a SageMaker record."""
    if not isinstance(record, dict):
        return None
    if "features" in record:
        values = record["features"]
    elif isinstance(record.get("data"), dict) and isinstance(record["data"].get("features"), dict):
        values = _tensor_values(record["data"]["features"], number)
    else:
        return None
    if not isinstance(values, list):
        raise BadRequest(f"record {number}: features must be a list of numbers")
    return values


def is_record(document: Any) -> bool:
    """Whether a JSON document is one SageMaker record rather than a list of rows."""
    return record_values(document, 1) is not None if isinstance(document, dict) else False


def _tensor_values(tensor: dict[str, Any], number: int) -> list[Any]:
    values = tensor.get("values")
    if not isinstance(values, list):
        raise BadRequest(f"record {number}: data.features.values must be a list of numbers")
    if "keys" not in tensor:
        return values
    keys, shape = tensor["keys"], tensor.get("shape")
    if not (isinstance(keys, list) and isinstance(shape, list) and len(shape) == 1):
        raise BadRequest(f"record {number}: a sparse record needs keys and a 1-D shape")
    size = shape[0]
    if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size <= MAX_CELLS:
        raise BadRequest(
            f"record {number}: shape [{size!r}] must be a whole number of features "
            f"(0 to {MAX_CELLS})"
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
            values = record_values(record, len(rows) + 1)
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
