"""application/x-npy: numpy's .npy format, never with pickled objects.

The header is read first (numpy's own `format` reader) and checked against the body
before any array exists: an object dtype (which only pickle could fill) is refused,
and a shape whose data the body does not hold is refused rather than allocated, so a
60-byte body claiming a terabyte array costs nothing. The data is then a view of the
body (`np.frombuffer`), not a copy. `np.load` is not used: it allocates the claimed
shape before reading, and opens .npz zips too.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.base import NPY
from inferline.containers.core.codecs.table import DEFAULT, column_names, rows_of
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType

_HEADER_READERS = {
    (1, 0): np.lib.format.read_array_header_1_0,
    (2, 0): np.lib.format.read_array_header_2_0,
}


def read_array(body: bytes) -> np.ndarray:
    """The array a .npy body holds.

    Raises:
        BadRequest: not .npy, an unknown version, an object dtype (never unpickled), or
            a shape the body's data does not match.
    """
    stream = io.BytesIO(body)
    try:
        version = np.lib.format.read_magic(stream)
        reader = _HEADER_READERS.get(version)
        if reader is None:
            raise BadRequest(f".npy version {version[0]}.{version[1]} is not supported (1.0, 2.0)")
        shape, fortran_order, dtype = reader(stream)
    except (ValueError, OSError, EOFError, SyntaxError, TypeError) as error:
        raise BadRequest(f"malformed .npy body: {error}") from None
    if dtype.hasobject:
        raise BadRequest(
            ".npy body has an object dtype, which only pickle can read; requests are never "
            "unpickled: send numbers or fixed-width strings"
        )
    count = math.prod(shape)
    offset = stream.tell()
    expected = count * dtype.itemsize
    if len(body) - offset != expected:
        raise BadRequest(
            f".npy body declares shape {shape} of {dtype} ({expected} bytes of data) but "
            f"holds {len(body) - offset}"
        )
    array: np.ndarray[Any, Any] = np.frombuffer(body, dtype=dtype, count=count, offset=offset)
    return array.reshape(shape, order="F" if fortran_order else "C")


@DEFAULT.register
class NpyCodec:
    mimetype = NPY

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        array = read_array(body)
        if array.dtype.names:
            if array.ndim != 1:
                raise BadRequest(f"a structured .npy body must be 1-D, got shape {array.shape}")
            return pd.DataFrame({name: array[name] for name in array.dtype.names})
        if array.ndim == 1:
            array = array.reshape(1, -1)
        if array.ndim != 2:
            raise BadRequest(f".npy body must be 1-D or 2-D, got shape {array.shape}")
        names = column_names(array.shape[1], columns)
        return pd.DataFrame({name: array[:, index] for index, name in enumerate(names)})

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        rows = rows_of(frame)
        try:
            array = np.asarray(rows, dtype=np.float64)
        except (TypeError, ValueError):
            array = np.asarray(rows, dtype=str)
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        return buffer.getvalue()
