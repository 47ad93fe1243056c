"""The SparkML wire format: request codecs in, response codecs out.

Byte-compatible with aws/sagemaker-sparkml-serving-container for one row, and one
output line per input row beyond that (the AWS container answers multi-row JSON
Lines with Java's ``List.toString``, which is neither CSV nor JSON Lines).

Requests, by Content-Type:

* ``text/csv``: headerless; every non-blank line is a row;
* ``application/json``: ``{"data": [...]}`` one row or ``{"data": [[...], ...]}`` many,
  with an optional ``"schema"``;
* ``application/jsonlines``: one such document per line; the first may carry the schema.

Responses, by Accept: ``text/csv`` (default; vectors comma-joined, numbers as Java
prints them), ``application/jsonlines`` (``{"features": [...]}`` for vectors and
arrays, the bare value for scalars), ``application/jsonlines;data=text``
(``{"source": "a b c"}``), and ``application/json`` (ours: ``{"predictions": [...]}``).

These codecs work on rows, not pandas tables: a one-row request costs microseconds
here, where a DataFrame round trip costs hundreds. They register themselves in
`CODECS`, a `Registry[Request, Output]`: the same registry (and the same 415 and 406
answers) as the table stages', typed on rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from inferline.containers.core.codecs import CSV, JSON, JSONLINES, Registry
from inferline.containers.core.codecs.base import EMPTY_BODY, text
from inferline.containers.core.errors import BadRequest
from inferline.containers.core.media import MediaType
from inferline.stages.sparkml.columns import Column, Sparse
from inferline.stages.sparkml.javatext import java_double, java_float
from inferline.stages.sparkml.schema import ColumnSchema, SparkSchema

__all__ = ["CODECS", "DEFAULT_ACCEPT", "Output", "Request"]


@dataclass(frozen=True)
class Request:
    """A decoded request: its own schema document (if any) and its row payloads.

    JSON ``data`` is one row or a list of rows; which one depends on the schema, so
    rows are only resolved once the schema in force is known.
    """

    schema: Any
    payloads: tuple[Any, ...]
    rows_of: Callable[[Any, SparkSchema], list[Sequence[Any]]]

    def rows(self, schema: SparkSchema) -> list[Sequence[Any]]:
        return [row for payload in self.payloads for row in self.rows_of(payload, schema)]


@dataclass(frozen=True)
class Output:
    """What a response encodes: the output column's values and its schema."""

    values: Column
    schema: ColumnSchema


CODECS: Registry[Request, Output] = Registry()
DEFAULT_ACCEPT = MediaType(CSV)

# Request decoders ignore the stage's `columns`: the schema names Spark ML's columns,
# and it may only arrive with the request itself.


@CODECS.register
class CsvRequests:
    """text/csv: headerless, every non-blank line a row."""

    mimetype = CSV

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> Request:
        lines = io.StringIO(_request_text(body, "CSV"))
        reader = csv.reader(lines)
        try:
            rows = [row for row in reader if row and any(f.strip() for f in row)]
        except csv.Error as error:  # a bare carriage return, an unclosed quote at the end
            raise BadRequest(f"malformed CSV at line {reader.line_num}: {error}") from None
        if not rows:
            raise BadRequest("the CSV body has no rows")
        return Request(None, (rows,), lambda payload, schema: payload)


@CODECS.register
class JsonRequests:
    """application/json: ``{"data": ...}``, optionally with ``"schema"``."""

    mimetype = JSON

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> Request:
        document = _document(_request_text(body, "JSON"), "JSON body")
        return Request(document.get("schema"), (document["data"],), _data_rows)


@CODECS.register
class JsonLinesRequests:
    """application/jsonlines: one JSON request document per line."""

    mimetype = JSONLINES

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> Request:
        lines = [line for line in _request_text(body, "JSON Lines").splitlines() if line.strip()]
        if not lines:
            raise BadRequest("the JSON Lines body has no lines")
        documents = [
            _document(line, f"JSON Lines body, line {n}") for n, line in enumerate(lines, start=1)
        ]
        return Request(documents[0].get("schema"), tuple(d["data"] for d in documents), _data_rows)


def _request_text(body: bytes, what: str) -> str:
    """The body as text; blank is a 400 (there is no row to answer for)."""
    decoded = text(body, what)
    if not decoded.strip():
        raise BadRequest(EMPTY_BODY)
    return decoded


def _document(source: str, what: str) -> dict[str, Any]:
    try:
        document = json.loads(source)
    except ValueError as error:
        raise BadRequest(f"{what} is not valid JSON: {error}") from None
    except RecursionError:  # the C parser stops at the interpreter's recursion limit
        raise BadRequest(f"{what} is nested too deeply to be a row of values") from None
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise BadRequest(
            f'{what} must be {{"data": [...]}} (one row) or {{"data": [[...], ...]}}'
            ' (many rows), optionally with a "schema"'
        )
    return document


def _data_rows(data: list[Any], schema: SparkSchema) -> list[Sequence[Any]]:
    """``data`` as one row when it fits the schema as one, else as a list of rows."""
    if _is_row(data, schema.input) or not all(isinstance(item, list) for item in data):
        return [data]
    return data


def _is_row(data: list[Any], columns: Sequence[ColumnSchema]) -> bool:
    if len(data) != len(columns):
        return False
    return all(
        isinstance(value, list) != (column.struct == "basic")
        for value, column in zip(data, columns, strict=True)
    )


# Responses


def _cells(values: Column, output: ColumnSchema) -> list[list[str]] | list[str]:
    """Each row as Java would print it: a list of texts (vector/array) or one text."""
    if isinstance(values, Sparse):
        values = values.to_dense()  # as AWS: toDense() before writing
    if isinstance(values, np.ndarray) and values.ndim == 2:
        fmt = java_float if output.type == "float" else java_double
        return [[fmt(v) for v in row] for row in values.tolist()]
    if output.struct == "basic":
        return [_text_of(v, output.type) for v in values.tolist()]
    return [[_text_of(v, output.type) for v in _items(row)] for row in values]


def _items(row: Any) -> list[Any]:
    return list(row) if isinstance(row, (list, tuple, np.ndarray)) else [row]


def _text_of(value: Any, kind: str = "double") -> str:
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if kind in ("byte", "short", "int", "long") and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and kind != "double":
        return str(int(value))
    return java_float(value) if kind == "float" else java_double(value)


@CODECS.register
class CsvResponses:
    """text/csv: one line per row; vectors comma-joined."""

    mimetype = CSV

    def encode(self, value: Output, media: MediaType) -> bytes:
        # Joined without quoting, as the AWS container does (byte-compatible): a token
        # holding a comma is ambiguous there too; text outputs should use data=text.
        cells = _cells(value.values, value.schema)
        return "\n".join(c if isinstance(c, str) else ",".join(c) for c in cells).encode()


@CODECS.register
class JsonLinesResponses:
    """application/jsonlines: ``{"features": [...]}``, or ``{"source": "..."}`` with data=text."""

    mimetype = JSONLINES

    def encode(self, value: Output, media: MediaType) -> bytes:
        output = value.schema
        cells = _cells(value.values, output)
        as_text = media.param("data") == "text"
        lines = []
        for cell in cells:
            if isinstance(cell, str):
                lines.append(cell)  # a scalar goes out bare, as the AWS container does
            elif as_text:
                lines.append(
                    json.dumps(
                        {"source": " ".join(cell)}, ensure_ascii=False, separators=(",", ":")
                    )
                )
            else:
                lines.append(
                    '{"features":[' + ",".join(_json_value(c, output) for c in cell) + "]}"
                )
        return "\n".join(lines).encode()


_LITERALS = frozenset({"true", "false", "null", "NaN", "Infinity", "-Infinity"})


def _json_value(text: str, output: ColumnSchema) -> str:
    """A cell as JSON: numbers as Java (Jackson) prints them, text quoted.

    Quoting follows the value, not only the schema, so a schema that calls a text
    column a double still yields valid JSON.
    """
    if output.type != "string" and (text in _LITERALS or _is_number(text)):
        return text
    return json.dumps(text, ensure_ascii=False)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@CODECS.register
class JsonResponses:
    """Ours, not AWS's: ``{"predictions": [row, ...]}``, a row a value or a list."""

    mimetype = JSON

    def encode(self, value: Output, media: MediaType) -> bytes:
        output = value.schema
        cells = _cells(value.values, output)
        rows = [
            _json_value(c, output)
            if isinstance(c, str)
            else "[" + ",".join(_json_value(x, output) for x in c) + "]"
            for c in cells
        ]
        return ('{"predictions":[' + ",".join(rows) + "]}").encode()
