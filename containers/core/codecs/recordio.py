"""application/x-recordio-protobuf: SageMaker's RecordIO-wrapped protobuf `Record`s.

Each record is framed as MXNet RecordIO writes it: the magic 0xCED7230A and the
payload length (both little-endian uint32), the payload, then zero padding to a
multiple of 4 bytes. The payload is an `aialgs.data.Record` (SageMaker's
`record.proto`). In a request, its `features["values"]` holds one row as a Float32,
Float64 or Int32 tensor: dense, or sparse with `keys` and a `shape`. In a response
(Linear Learner's), its `label` map holds each output column as a Float32 tensor::

    label = {"score": Float32Tensor(values=[0.83]), "predicted_label": ...(values=[1.0])}

The protobuf wire format is read and written directly (four wire types suffice), so
neither the xgboost nor the sklearn image needs a protobuf runtime or generated code.
Nothing a record declares sizes an allocation unchecked: a varint longer than
protobuf's 10 bytes is refused (decoding an unbounded one is quadratic), and a sparse
row's shape or keys past the stage's features (or MAX_FEATURES, when it does not say)
are refused before the matrix is made.
The linear-learner stage reads and writes this format; the xgboost stage reads it.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.base import RECORDIO_PROTOBUF
from inferline.containers.core.codecs.table import MAX_FEATURES, check_cells, column_names
from inferline.containers.core.errors import BadRequest, NotAcceptable, UnprocessableEntity
from inferline.containers.core.media import MediaType

MAGIC = 0xCED7230A
MAX_VARINT_BYTES = 10  # a 64-bit value, the longest protobuf writes
FEATURES_KEY = "values"
# Value's oneof field numbers (record.proto) -> the element type of its packed values.
TENSOR_TYPES: dict[int, np.dtype[Any] | None] = {
    2: np.dtype("<f4"),
    3: np.dtype("<f8"),
    7: None,  # int32 varints
}

__all__ = ["RecordIOProtobufCodec", "frame_record", "label_record", "payloads"]


class Malformed(Exception):
    """The bytes do not parse; the codec turns this into a BadRequest naming the record."""


def payloads(body: bytes) -> Iterator[bytes]:
    """The payload of each RecordIO record in `body`."""
    offset = 0
    while offset < len(body):
        if len(body) - offset < 8:
            raise Malformed("truncated record header")
        magic, length = struct.unpack_from("<II", body, offset)
        if magic != MAGIC:
            raise Malformed(f"bad magic number 0x{magic:08X} (expected 0x{MAGIC:08X})")
        if length >> 29:
            raise Malformed("multi-part RecordIO records are not supported")
        start, end = offset + 8, offset + 8 + length
        if end > len(body):
            raise Malformed("record is longer than the body")
        yield body[start:end]
        offset = end + (-length % 4)


def frame_record(payload: bytes) -> bytes:
    """One RecordIO record holding `payload`."""
    return struct.pack("<II", MAGIC, len(payload)) + payload + b"\0" * (-len(payload) % 4)


def _put_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _put_bytes(number: int, content: bytes) -> bytes:
    """A length-delimited field (wire type 2)."""
    return _put_varint(number << 3 | 2) + _put_varint(len(content)) + content


def label_record(columns: dict[str, np.ndarray]) -> bytes:
    """A Record whose `label` map holds each column's values as a Float32Tensor."""
    entries = b""
    for name, values in columns.items():
        tensor = _put_bytes(1, np.asarray(values, dtype="<f4").tobytes())  # packed values
        value = _put_bytes(2, tensor)  # Value.float32_tensor
        entries += _put_bytes(2, _put_bytes(1, name.encode()) + _put_bytes(2, value))
    return entries


def _varint(data: bytes, offset: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        if offset >= len(data):
            raise Malformed("truncated varint")
        if shift >= 7 * MAX_VARINT_BYTES:
            raise Malformed(f"a varint longer than {MAX_VARINT_BYTES} bytes")
        byte = data[offset]
        value |= (byte & 0x7F) << shift
        offset += 1
        if not byte & 0x80:
            return value, offset
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int, int | bytes]]:
    """(field number, wire type, value) of each field of one protobuf message."""
    offset = 0
    while offset < len(data):
        key, offset = _varint(data, offset)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, offset = _varint(data, offset)
            yield number, wire, value
        elif wire == 2:
            size, offset = _varint(data, offset)
            if offset + size > len(data):
                raise Malformed("truncated field")
            yield number, wire, data[offset : offset + size]
            offset += size
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            if offset + size > len(data):
                raise Malformed("truncated field")
            yield number, wire, data[offset : offset + size]
            offset += size
        else:
            raise Malformed(f"unsupported protobuf wire type {wire}")


def _integers(value: int | bytes, wire: int) -> list[int]:
    """A repeated varint field's values, packed (bytes) or one at a time."""
    if wire == 0:
        return [int(value)]
    if wire != 2 or not isinstance(value, bytes):
        raise Malformed(f"integers in wire type {wire}, expected varints")
    numbers, offset = [], 0
    while offset < len(value):
        number, offset = _varint(value, offset)
        numbers.append(number)
    return numbers


def _tensor(data: bytes, element: np.dtype | None) -> tuple[np.ndarray, list[int], list[int]]:
    """(values, keys, shape) of a Float32/Float64/Int32Tensor message."""
    values: list[np.ndarray] = []
    keys: list[int] = []
    shape: list[int] = []
    for number, wire, value in _fields(data):
        if number == 1:
            if element is None:  # int32 varints, two's complement in 64 bits when negative
                ints = [n - (1 << 64) if n >> 63 else n for n in _integers(value, wire)]
                values.append(np.array(ints, dtype=np.float64))
            else:
                if wire != 2 or not isinstance(value, bytes) or len(value) % element.itemsize:
                    raise Malformed(f"tensor values are not packed {element.name} numbers")
                values.append(np.frombuffer(value, dtype=element).astype(np.float64))
        elif number == 2:
            keys.extend(_integers(value, wire))
        elif number == 3:
            shape.extend(_integers(value, wire))
    return (np.concatenate(values) if values else np.empty(0)), keys, shape


def row_of(payload: bytes) -> tuple[np.ndarray, list[int], list[int]]:
    """The features tensor of one Record: (values, keys, shape)."""
    for number, _, entry in _fields(payload):
        if number != 1 or not isinstance(entry, bytes):
            continue  # labels, uid, metadata: not features
        name, value = "", b""
        for field_number, _, content in _fields(entry):
            if field_number == 1 and isinstance(content, bytes):
                name = content.decode("utf-8", errors="replace")
            elif field_number == 2 and isinstance(content, bytes):
                value = content
        if name != FEATURES_KEY:
            continue
        for kind, _, tensor in _fields(value):
            if kind in TENSOR_TYPES and isinstance(tensor, bytes):
                return _tensor(tensor, TENSOR_TYPES[kind])
        raise Malformed('features["values"] is not a Float32, Float64 or Int32 tensor')
    raise Malformed('the record has no features["values"]')


def _width(row: tuple[np.ndarray, list[int], list[int]], number: int) -> int:
    """The features record `number` declares, refused past MAX_FEATURES when sparse."""
    values, keys, shape = row
    if not keys and not shape:
        return len(values)
    width = int(shape[-1]) if shape else max(keys) + 1
    if width > MAX_FEATURES:
        raise BadRequest(
            f"RecordIO-protobuf record {number} declares {width} features, past the "
            f"{MAX_FEATURES} a row may hold when the model does not say how many it reads"
        )
    return width


class RecordIOProtobufCodec:
    """Reads rows (absent sparse keys are missing values); writes one labelled Record per row."""

    mimetype = RECORDIO_PROTOBUF

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        rows: list[tuple[np.ndarray, list[int], list[int]]] = []
        try:
            for payload in payloads(body):
                rows.append(row_of(payload))
        except Malformed as error:
            raise BadRequest(f"RecordIO-protobuf record {len(rows) + 1}: {error}") from None
        width = (
            len(columns)
            if columns is not None
            else max((_width(row, n) for n, row in enumerate(rows, 1)), default=0)
        )
        check_cells(len(rows), width, "the RecordIO-protobuf body")
        matrix = np.full((len(rows), width), np.nan)
        for number, (values, keys, shape) in enumerate(rows, start=1):
            if not keys and not shape:  # dense: the sparse writer always sets a shape
                if len(values) != width:
                    raise UnprocessableEntity(
                        f"RecordIO-protobuf record {number} has {len(values)} features, "
                        f"expected {width}"
                    )
                matrix[number - 1] = values
                continue
            if len(keys) != len(values):
                raise UnprocessableEntity(
                    f"RecordIO-protobuf record {number}: {len(keys)} sparse keys but "
                    f"{len(values)} values"
                )
            declared = int(shape[-1]) if shape else 0
            beyond = next((key for key in keys if key >= width), None)
            if beyond is not None or declared > width:
                what = f"key {beyond}" if beyond is not None else f"shape of {declared}"
                raise UnprocessableEntity(
                    f"RecordIO-protobuf record {number}: sparse {what} is beyond the "
                    f"{width} features the model reads (0-{width - 1})"
                )
            matrix[number - 1, keys] = values
        return pd.DataFrame(matrix, columns=column_names(width, columns))

    def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
        names = [str(name) for name in frame.columns]
        records = []
        for row in zip(*(frame[name].tolist() for name in frame.columns), strict=True):
            try:
                columns = {
                    name: np.atleast_1d(np.asarray(cell, dtype=np.float32))
                    for name, cell in zip(names, row, strict=True)
                }
            except (TypeError, ValueError):
                raise NotAcceptable(
                    "RecordIO-protobuf answers hold numbers only and these predictions are "
                    f"not ({dict(zip(names, row, strict=True))}); accept application/json"
                ) from None
            records.append(frame_record(label_record(columns)))
        return b"".join(records)
