"""text/csv: headerless rows, as SageMaker sends them; every line is one row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from inferline.containers.core.codecs.base import CSV, text
from inferline.containers.core.codecs.numbertext import csv_lines
from inferline.containers.core.codecs.table import (
    DEFAULT,
    ArrayTable,
    Columns,
    frame_from_text_rows,
    number_array,
    rows_of,
    text_columns,
)
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType

# The csv module's reader is needed for quotes (the only way a field holds a comma or a
# newline), a lone \r (which it refuses) and NUL; a body with none of them, small enough
# that no field can pass the reader's size limit, is read here by str.split, which
# gives the reader's rows at a third of its cost (tests/property/test_fast_paths.py).
#
# Both looks are `in` tests (memchr in C): a regex's character class costs 100-200 µs on
# 1,000 rows, a tenth of reading them.
_NEEDS_READER = ('"', "\r", "\x00")
_ASCII_SPACES = tuple(c for c in map(chr, range(128)) if c.isspace() and c != "\n")
_SPACE = re.compile(r"[^\S\n]")  # whitespace a field could start or end with


def _needs_reader(content: str) -> bool:
    return any(character in content for character in _NEEDS_READER)


def _has_spaces(content: str) -> bool:
    """Whether `content` holds whitespace other than newlines (what str.strip strips)."""
    if not content.isascii():
        return _SPACE.search(content) is not None
    return any(space in content for space in _ASCII_SPACES)


def read_rows(body: bytes) -> list[list[str]]:
    """CSV rows of strings; blank lines are skipped, spaces around fields dropped.

    Raises:
        BadRequest: not UTF-8, or malformed (an unclosed quote, ...): the line is named.
    """
    content = text(body, "CSV")
    if len(content) <= csv.field_size_limit() and not _needs_reader(content):
        rows = split_rows(content)
    else:
        rows = reader_rows(content)
    if _has_spaces(content):
        return [list(map(str.strip, row)) for row in rows]
    return rows


def reader_rows(content: str) -> list[list[str]]:
    """The csv module's non-empty rows of `content`, spaces after commas dropped."""
    reader = csv.reader(io.StringIO(content), skipinitialspace=True, strict=True)
    try:
        return [row for row in reader if row]
    except csv.Error as error:
        raise BadRequest(f"malformed CSV at line {reader.line_num}: {error}") from None


def split_rows(content: str) -> list[list[str]]:
    """`reader_rows` of text without quotes, \r or NUL: its non-empty lines split at commas
    (leading spaces are kept: `read_rows` strips both ends of every field anyway)."""
    return [line.split(",") for line in content.split("\n") if line]


def write_rows(rows: list[list[Any]]) -> bytes:
    """One line per row, each ending in a newline; missing values are empty fields."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue().encode()


def write_numbers(table: ArrayTable) -> bytes | None:
    """What `write_rows` writes for a table of numbers, without the csv writer; else None.

    The csv module writes a float as its repr (infinities as ``inf``) and an int as its
    str (which is its repr), and never quotes either: lines of reprs joined by commas are
    the same text, and `numbertext.csv_lines` prints them by orjson. NaN (an empty field,
    which alone on a line the writer quotes) and non-numbers take `write_rows`.
    """
    array = number_array(table, infinities=True)
    return None if array is None else csv_lines(array)


@DEFAULT.register
class CsvCodec:
    mimetype = CSV

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        return frame_from_text_rows(read_rows(body), columns)

    def decode_columns(
        self, body: bytes, media: MediaType, columns: Sequence[str] | None
    ) -> Columns | None:
        rows = read_rows(body)
        return text_columns(rows, columns) if rows else None

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        return write_rows(rows_of(frame))

    def encode_array(self, table: ArrayTable, media: MediaType) -> bytes | None:
        if type(self).encode is not CsvCodec.encode:
            return None  # a subclass writes CSV its own way (xgboost's predictions)
        return write_numbers(table)
