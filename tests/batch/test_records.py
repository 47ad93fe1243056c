"""SplitType and BatchStrategy: records read from a stream and packed within MaxPayloadInMB."""

from __future__ import annotations

import io

import pytest

from inferline.containers.batch.batching import RecordTooLarge, batches
from inferline.containers.batch.records import SplitError, split
from inferline.containers.core.codecs.recordio import frame_record, payloads


def test_lines_drop_terminators_and_empty_lines() -> None:
    stream = io.BytesIO(b"a,1\r\nb,2\n\nc,3\n")
    assert list(split(stream, "Line")) == [b"a,1", b"b,2", b"c,3"]


def test_none_makes_the_file_one_record() -> None:
    assert list(split(io.BytesIO(b"a\nb\n"), "None")) == [b"a\nb\n"]
    assert list(split(io.BytesIO(b""), "None")) == []


def test_recordio_frames_are_those_the_codec_writes_and_reads() -> None:
    framed = [frame_record(payload) for payload in (b"abc", b"defgh", b"")]
    records = list(split(io.BytesIO(b"".join(framed)), "RecordIO"))
    assert records == framed
    # SingleRecord: the padding goes, and the codec still reads the record.
    single = list(split(io.BytesIO(b"".join(framed)), "RecordIO", keep_padding=False))
    assert [len(record) for record in single] == [8 + 3, 8 + 5, 8]
    assert [list(payloads(record)) for record in single] == [[b"abc"], [b"defgh"], [b""]]


def test_broken_recordio_is_named() -> None:
    with pytest.raises(SplitError, match="bad magic number 0x00000000 at byte 0"):
        list(split(io.BytesIO(b"\0" * 12), "RecordIO"))
    with pytest.raises(SplitError, match="cut short"):
        list(split(io.BytesIO(frame_record(b"abcdefgh")[:10]), "RecordIO"))


def test_multirecord_packs_up_to_the_limit_and_never_splits_a_record() -> None:
    records = [b"x" * 40 for _ in range(10)]
    packed = list(batches(records, multi_record=True, max_bytes=100, separator=b"\n"))
    # 40 + 1 + 40 = 81 fits, a third would be 122
    assert [batch.count for batch in packed] == [2, 2, 2, 2, 2]
    assert all(len(batch.payload) <= 100 for batch in packed)
    assert b"\n".join(batch.payload for batch in packed) == b"\n".join(records)
    assert [(batch.first, batch.last) for batch in packed][:2] == [(1, 2), (3, 4)]


def test_singlerecord_sends_each_record_alone() -> None:
    packed = list(batches([b"a", b"b", b"c"], multi_record=False, max_bytes=100, separator=b"\n"))
    assert [batch.payload for batch in packed] == [b"a", b"b", b"c"]
    assert [batch.index for batch in packed] == [0, 1, 2]


def test_a_record_over_the_limit_fails_by_itself() -> None:
    records = [b"small", b"y" * (2 * 1024 * 1024), b"small"]
    with pytest.raises(
        RecordTooLarge, match=r"record 2 is 2097152 bytes, over MaxPayloadInMB \(1 MB"
    ):
        list(batches(records, multi_record=True, max_bytes=1024 * 1024, separator=b"\n"))


def test_the_limit_applies_to_what_is_sent_after_the_input_filter() -> None:
    packed = list(
        batches(
            [b"id-1,1", b"id-2,2"],
            multi_record=True,
            max_bytes=3,
            separator=b"\n",
            prepare=lambda record: record.split(b",")[1],
            keep_records=True,
        )
    )
    assert [batch.payload for batch in packed] == [b"1\n2"]
    assert packed[0].records == [b"id-1,1", b"id-2,2"]
