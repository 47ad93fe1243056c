"""application/x-npy: numpy's .npy format, never with pickled objects."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.base import NPY
from inferline.containers.core.codecs.table import DEFAULT, column_names, rows_of
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType


@DEFAULT.register
class NpyCodec:
    mimetype = NPY

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        try:
            array = np.load(io.BytesIO(body), allow_pickle=False)
        except (ValueError, OSError, EOFError) as error:
            raise BadRequest(f"malformed .npy body: {error}") from None
        if array.dtype.names:
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
