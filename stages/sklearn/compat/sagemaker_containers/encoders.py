"""``sagemaker_containers.beta.framework.encoders``: numpy to and from JSON, CSV and NPY.

The layouts are those of sagemaker-containers 2.8.6 (pinned by the tests in
tests/compat): JSON is ``json.dumps`` with arrays as ``tolist()``; CSV is one row per
line, comma-separated, ``\\n``-terminated, a 1-D array one value per line; decoding CSV
squeezes (one row becomes 1-D) and casts to float when it can. NPY never unpickles
(AWS's image patches the same in, CWE-502).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np

from inferline.stages.sklearn.compat.sagemaker_containers import content_types
from inferline.stages.sklearn.compat.sagemaker_containers.errors import (
    ClientError,
    UnsupportedFormatError,
)

__all__ = [
    "array_to_csv",
    "array_to_json",
    "array_to_npy",
    "csv_to_numpy",
    "decode",
    "encode",
    "json_to_numpy",
    "npy_to_numpy",
]


def array_to_npy(array_like: Any) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array_like)
    return buffer.getvalue()


def npy_to_numpy(npy_array: bytes) -> np.ndarray:
    try:
        return np.load(io.BytesIO(npy_array), allow_pickle=False)  # type: ignore[no-any-return]  # np.load is untyped
    except ValueError as error:
        raise ClientError(f"Error while decoding npy: {error}") from None


def array_to_json(array_like: Any) -> str:
    def default(value: Any) -> Any:
        if hasattr(value, "tolist"):
            return value.tolist()
        return json.JSONEncoder().default(value)

    return json.dumps(array_like, default=default)


def json_to_numpy(string_like: str | bytes, dtype: Any = None) -> np.ndarray:
    return np.array(json.loads(string_like), dtype=dtype)


def csv_to_numpy(string_like: str, dtype: Any = None) -> np.ndarray:
    """Rows of a CSV text; one row comes back 1-D, as AWS's decoder squeezes it.

    Numbers come back as float64 (as ``astype(None)`` does); a table that is not all
    numbers stays an array of strings.
    """
    try:
        rows = list(csv.reader(io.StringIO(string_like), delimiter=",", quotechar='"', strict=True))
        array = np.array(rows).squeeze()
    except (csv.Error, ValueError) as error:
        raise ClientError(f"Error while decoding csv: {error}") from None
    try:
        return array.astype(dtype)
    except ValueError as error:
        if dtype is not None:
            raise ClientError(
                f"Error while writing numpy array: {error}. dtype is: {dtype}"
            ) from None
        return array


def array_to_csv(array_like: Any) -> str:
    array = np.array(array_like)
    if array.ndim == 1:
        array = array.reshape(array.shape[0], 1)
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n", delimiter=",", quotechar='"', strict=True)
    try:
        writer.writerows(array)
    except csv.Error as error:
        raise ClientError(f"Error while encoding csv: {error}") from None
    return stream.getvalue()


_ENCODERS: dict[str, Callable[[Any], Any]] = {
    content_types.NPY: array_to_npy,
    content_types.CSV: array_to_csv,
    content_types.JSON: array_to_json,
}
_DECODERS: dict[str, Callable[[Any], np.ndarray]] = {
    content_types.NPY: npy_to_numpy,
    content_types.CSV: csv_to_numpy,
    content_types.JSON: json_to_numpy,
}


def decode(obj: Any, content_type: str) -> np.ndarray:
    """A numpy array from a body of one of the default content types (exact match)."""
    decoder = _DECODERS.get(content_type)
    if decoder is None:
        raise UnsupportedFormatError(content_type)
    return decoder(obj)


def encode(array_like: Any, content_type: str) -> Any:
    """An array-like encoded as `content_type`: str for JSON and CSV, bytes for NPY."""
    encoder = _ENCODERS.get(content_type)
    if encoder is None:
        raise UnsupportedFormatError(content_type)
    return encoder(array_like)
