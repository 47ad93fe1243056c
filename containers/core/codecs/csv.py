"""text/csv: headerless rows, as SageMaker sends them; every line is one row."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd

from inferline.containers.core.codecs.base import CSV, text
from inferline.containers.core.codecs.table import DEFAULT, frame_from_text_rows, rows_of
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType


def read_rows(body: bytes) -> list[list[str]]:
    """CSV rows of strings; blank lines are skipped, spaces after commas dropped."""
    reader = csv.reader(io.StringIO(text(body, "CSV")), skipinitialspace=True, strict=True)
    try:
        rows = [row for row in reader if row]
    except csv.Error as error:
        raise BadRequest(f"malformed CSV at line {reader.line_num}: {error}") from None
    return [[field.strip() for field in row] for row in rows]


def write_rows(rows: list[list[Any]]) -> bytes:
    """One line per row, each ending in a newline; missing values are empty fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue().encode()


@DEFAULT.register
class CsvCodec:
    mimetype = CSV

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        return frame_from_text_rows(read_rows(body), columns)

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return write_rows(rows_of(frame))
