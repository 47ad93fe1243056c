"""application/jsonlines: one JSON document per line, each read as JSON rows are."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from inferline.containers.core.codecs.base import JSONLINES
from inferline.containers.core.codecs.json import (
    document_columns,
    dumps,
    frame_from_document_rows,
    load,
    number_body,
    rows_from_document,
)
from inferline.containers.core.codecs.table import DEFAULT, ArrayTable, Columns, records_of
from inferline.containers.core.media import MediaType


def documents(body: bytes) -> list[Any]:
    """The JSON document on each non-blank line; errors name the line."""
    return [
        load(line, what=f"JSON Lines body, line {number}")
        for number, line in enumerate(body.splitlines(), start=1)
        if line.strip()
    ]


@DEFAULT.register
class JsonLinesCodec:
    mimetype = JSONLINES

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        rows: list[Any] = []
        for document in documents(body):
            rows.extend(rows_from_document(document)[0])
        return frame_from_document_rows(rows, columns)

    def decode_columns(
        self, body: bytes, media: MediaType, columns: Sequence[str] | None
    ) -> Columns | None:
        if type(self).decode is not JsonLinesCodec.decode:
            return None  # a subclass reads JSON Lines its own way (dense records)
        rows: list[Any] = []
        for document in documents(body):
            rows.extend(rows_from_document(document)[0])
        return document_columns(rows, columns)

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return b"".join(dumps(record) + b"\n" for record in records_of(frame))

    def encode_array(self, table: ArrayTable, media: MediaType) -> bytes | None:
        if type(self).encode is not JsonLinesCodec.encode:
            return None  # a subclass writes JSON Lines its own way
        return number_body(table, lines=True)
