"""The wire formats of SageMaker's XGBoost algorithm container.

Requests: ``text/csv`` (headerless features, no label), ``text/libsvm`` (also
``text/x-libsvm``: ``[label] index:value ...`` per line; absent indices are missing
values, as in an XGBoost sparse matrix), ``application/x-recordio-protobuf`` (see
`inferline.containers.core.codecs.recordio`), and SageMaker's dense-record JSON, as the
Linear Learner stage reads it (`inferline.containers.core.codecs.dense`:
``{"instances": [{"features": [...]}]}``, plain rows; JSON Lines one record per line).

Responses (one "score" per row; a vector for multi:softprob): ``text/csv`` as the AWS
container writes it, each number as Python's ``str`` of the float32 prediction
widened to a double (``2.0``, ``9.871234893798828``)::

    real time:  9.87,10.5,7.25        every prediction comma-joined on one line
    batch:      9.87\\n10.5\\n7.25\\n    one per line (SAGEMAKER_BATCH=true)

Vectors (multi:softprob) are written one row per line with their values comma-joined,
in both modes: AWS writes Python list reprs there (``[0.1, 0.9],[0.8, 0.2]``), which
no CSV reader can use. ``application/json`` is ``{"predictions": [{"score": ...}]}`` and
``application/jsonlines`` one ``{"score": ...}`` per line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from inferline.containers.core.codecs import CSV, CodecRegistry
from inferline.containers.core.codecs.base import text
from inferline.containers.core.codecs.csv import CsvCodec
from inferline.containers.core.codecs.dense import DenseJsonCodec, DenseJsonLinesCodec
from inferline.containers.core.codecs.json import JsonCodec
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec
from inferline.containers.core.codecs.recordio import RecordIOProtobufCodec
from inferline.containers.core.codecs.table import MAX_FEATURES, check_cells, column_names
from inferline.containers.core.errors import BadRequest, UnprocessableEntity
from inferline.containers.core.media import MediaType

LIBSVM = "text/libsvm"
X_LIBSVM = "text/x-libsvm"

__all__ = ["LIBSVM", "X_LIBSVM", "LibSvmCodec", "PredictionCsvCodec", "requests", "responses"]


class LibSvmCodec:
    """text/libsvm: sparse rows; a decoder only (answers are CSV or JSON).

    An index sizes the matrix (``0 999999999999:1`` would be a 7 TiB row), so each is
    checked as it is read, before anything is allocated: past the model's features is a
    422 naming the index and the count; with no columns given, past MAX_FEATURES a 400.
    """

    def __init__(self, mimetype: str = LIBSVM) -> None:
        self.mimetype = mimetype

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        lines = [line.split() for line in text(body, "LibSVM").splitlines() if line.strip()]
        bound = _Bound(len(columns), "the model's") if columns is not None else _Bound()
        entries = [_entries(tokens, number, bound) for number, tokens in enumerate(lines, 1)]
        width = (
            len(columns)
            if columns is not None
            else 1 + max((index for row in entries for index in row), default=-1)
        )
        check_cells(len(entries), width, "the LibSVM body")
        matrix = np.full((len(entries), width), np.nan)
        for row, values in enumerate(entries):
            if values:
                matrix[row, list(values)] = list(values.values())
        return pd.DataFrame(matrix, columns=column_names(width, columns))


@dataclass(frozen=True)
class _Bound:
    """The feature indices a row may use: below `features`, the model's or MAX_FEATURES."""

    features: int = MAX_FEATURES
    whose: str = ""

    def check(self, index: int, number: int) -> None:
        if index < self.features:
            return
        if self.whose:
            raise UnprocessableEntity(
                f"LibSVM line {number}: feature index {index} is beyond {self.whose} "
                f"{self.features} features (0-{self.features - 1})"
            )
        raise BadRequest(
            f"LibSVM line {number}: feature index {index} is past the {self.features} "
            f"features (0-{self.features - 1}) a row may hold when the model does not say "
            "how many it reads"
        )


def _entries(tokens: list[str], number: int, bound: _Bound) -> dict[int, float]:
    """``index:value`` pairs of one line; a leading label (a number, no colon) is ignored."""
    entries: dict[int, float] = {}
    for position, token in enumerate(tokens):
        index_text, colon, value = token.partition(":")
        if not colon:
            if position == 0 and _is_number(token):
                continue
            raise BadRequest(f"LibSVM line {number}: {token!r} is not index:value")
        try:
            index = int(index_text)
            entries[index] = float(value)
        except ValueError:
            raise BadRequest(f"LibSVM line {number}: {token!r} is not index:value") from None
        if index < 0:
            raise BadRequest(f"LibSVM line {number}: negative feature index in {token!r}")
        bound.check(index, number)
    return entries


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class PredictionCsvCodec(CsvCodec):
    """text/csv: reads headerless rows; writes predictions as the AWS container does."""

    batch: bool = False
    mimetype = CSV

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        scores = frame["score"].tolist()
        if scores and isinstance(scores[0], (list, np.ndarray)):
            return "".join(
                ",".join(map(str, np.asarray(row).tolist())) + "\n" for row in scores
            ).encode()
        if self.batch:
            return "".join(f"{score}\n" for score in scores).encode()
        return ",".join(map(str, scores)).encode()


def requests() -> CodecRegistry:
    """The request formats: CSV, LibSVM (both names), RecordIO-protobuf, JSON, JSON Lines."""
    return CodecRegistry(
        [
            PredictionCsvCodec(),
            LibSvmCodec(LIBSVM),
            LibSvmCodec(X_LIBSVM),
            RecordIOProtobufCodec(),
            DenseJsonCodec(),
            DenseJsonLinesCodec(),
        ]
    )


def responses(batch: bool) -> CodecRegistry:
    """The response formats; `batch` chooses the CSV layout."""
    return CodecRegistry([PredictionCsvCodec(batch), JsonCodec(), JsonLinesCodec()])
