"""SplitType: the records of one input file, read as a stream.

``None`` makes the whole file one record; ``Line`` splits on newlines (``\\n`` or
``\\r\\n``; empty lines are no records, so a final newline adds none); ``RecordIO``
reads SageMaker's RecordIO framing: the magic 0xCED7230A and the payload length
(little-endian uint32 each), the payload, zero padding to 4 bytes. Each RecordIO
record is passed on framed, with its padding under MultiRecord and without it under
SingleRecord (awsdocs ``API_TransformInput.md``).

Only the framing reader lives here (about twenty lines): the RecordIO-protobuf codec
in the core reads whole request bodies into protobuf records, while a batch job
needs the frames of a file stream left untouched.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import IO

from inferline.containers.core.errors import (
    SplitError as SplitError,
)  # raised here, caught by callers

RECORDIO_MAGIC = 0xCED7230A
HEADER = struct.Struct("<II")
LENGTH_MASK = (1 << 29) - 1  # the upper 3 bits of the length word are a continuation flag


def split(stream: IO[bytes], split_type: str, *, keep_padding: bool = True) -> Iterator[bytes]:
    """The records of `stream`, in file order."""
    if split_type == "Line":
        return _lines(stream)
    if split_type == "RecordIO":
        return _recordio(stream, keep_padding)
    return _whole(stream)


def _whole(stream: IO[bytes]) -> Iterator[bytes]:
    data = stream.read()
    if data:
        yield data


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    for line in stream:
        record = line.rstrip(b"\n").removesuffix(b"\r")
        if record:
            yield record


def _recordio(stream: IO[bytes], keep_padding: bool) -> Iterator[bytes]:
    offset = 0
    while True:
        header = stream.read(HEADER.size)
        if not header:
            return
        if len(header) < HEADER.size:
            raise SplitError(f"RecordIO: truncated record header at byte {offset}")
        magic, word = HEADER.unpack(header)
        if magic != RECORDIO_MAGIC:
            raise SplitError(
                f"RecordIO: bad magic number 0x{magic:08X} at byte {offset} "
                f"(expected 0x{RECORDIO_MAGIC:08X})"
            )
        if word >> 29:
            raise SplitError(f"RecordIO: multi-part record at byte {offset} is not supported")
        length = word & LENGTH_MASK
        payload = stream.read(length)
        if len(payload) < length:
            raise SplitError(f"RecordIO: record at byte {offset} is cut short")
        padding = stream.read(-length % 4)
        offset += HEADER.size + length + len(padding)
        yield header + payload + (padding if keep_padding else b"")
