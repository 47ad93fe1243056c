"""BatchStrategy: records packed into the requests a job sends, never across files.

SingleRecord sends each record alone; MultiRecord packs consecutive records of one
file into a request as long as it stays within MaxPayloadInMB, and never splits a
record: a record over the limit on its own fails its file (SageMaker's rule, awsdocs
``batch-transform.md``). With SplitType None the whole file is one record.
Line records are joined with ``\\n``; RecordIO frames are concatenated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from inferline.containers.core.errors import RecordTooLarge as RecordTooLarge  # raised here


@dataclass
class Batch:
    """One request's worth of records of one file."""

    index: int
    """Its position among the file's batches (output order)."""
    first: int
    """The file's record number (1-based) of its first record."""
    payload: bytes
    count: int
    input_bytes: int
    records: list[bytes] = field(default_factory=list)
    """The original records, kept only when the output joins or filters them."""

    @property
    def last(self) -> int:
        return self.first + self.count - 1


def batches(
    records: Iterable[bytes],
    *,
    multi_record: bool,
    max_bytes: int,
    separator: bytes,
    prepare: Callable[[bytes], bytes] = lambda record: record,
    keep_records: bool = False,
) -> Iterator[Batch]:
    """Pack `records` (already split) into batches of at most `max_bytes`.

    Raises:
        RecordTooLarge: a record (after InputFilter) is over `max_bytes` by itself.
    """
    parts: list[bytes] = []
    originals: list[bytes] = []
    size = 0
    first = 1
    number = 0
    index = 0
    input_bytes = 0
    for number, record in enumerate(records, start=1):
        part = prepare(record)
        if len(part) > max_bytes:
            raise RecordTooLarge(
                f"record {number} is {len(part)} bytes, over MaxPayloadInMB "
                f"({max_bytes // (1024 * 1024)} MB = {max_bytes} bytes); a record is never split"
            )
        grown = size + len(part) + (len(separator) if parts else 0)
        if parts and (not multi_record or grown > max_bytes):
            yield Batch(index, first, separator.join(parts), len(parts), input_bytes, originals)
            index += 1
            parts, originals, size, input_bytes, first = [], [], 0, 0, number
            grown = len(part)
        parts.append(part)
        if keep_records:
            originals.append(record)
        size = grown
        input_bytes += len(record) + 1
    if parts:
        yield Batch(index, first, separator.join(parts), len(parts), input_bytes, originals)
