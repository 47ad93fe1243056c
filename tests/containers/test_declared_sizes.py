"""A count a body declares never sizes an allocation unchecked.

LibSVM indices, RecordIO-protobuf shapes, keys and varints, and dense-record JSON
sparse shapes each name a size the body does not hold (``0 999999999999:1`` is a
7 TiB row). Past the stage's features each is a 422 naming the index or shape and
the count; with no count from the stage, past MAX_FEATURES a 400. Memory is watched
with tracemalloc (numpy reports its buffers to it): a refusal allocates next to
nothing, where the old decoders allocated the declared size or died trying.
"""

from __future__ import annotations

import tracemalloc
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pytest

from inferline.containers.core.codecs.dense import DenseJsonCodec, DenseJsonLinesCodec
from inferline.containers.core.codecs.recordio import (
    MAX_VARINT_BYTES,
    RecordIOProtobufCodec,
    frame_record,
)
from inferline.containers.core.codecs.table import MAX_FEATURES
from inferline.containers.core.errors import BadRequest, ServingError, UnprocessableEntity
from inferline.containers.core.media import MediaType
from inferline.stages.xgboost.codecs import LIBSVM, LibSvmCodec

MODEL = ["f0", "f1", "f2"]  # a stage reading three features
SMALL = 16 * 1024 * 1024  # bytes a refusal may take at most: far below any declared size


@contextmanager
def peak_below(limit: int) -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
        assert tracemalloc.get_traced_memory()[1] < limit
    finally:
        tracemalloc.stop()


def refused(decode: Callable[[], pd.DataFrame], kind: type[ServingError]) -> str:
    with peak_below(SMALL), pytest.raises(kind) as error:
        decode()
    return str(error.value)


def libsvm(body: bytes, columns: list[str] | None = MODEL) -> pd.DataFrame:
    return LibSvmCodec().decode(body, MediaType(LIBSVM), columns)


# --- LibSVM -----------------------------------------------------------------------


@pytest.mark.parametrize("index", [3, 4294967295, 999999999999])
def test_a_libsvm_index_past_the_models_features_is_a_422_naming_both(index: int) -> None:
    message = refused(lambda: libsvm(f"1 0:1 {index}:1".encode()), UnprocessableEntity)
    assert f"feature index {index} is beyond the model's 3 features (0-2)" in message


@pytest.mark.parametrize("index", [MAX_FEATURES, 4294967295, 10**12])
def test_without_a_feature_count_a_libsvm_index_past_max_features_is_a_400(index: int) -> None:
    message = refused(lambda: libsvm(f"0 {index}:1".encode(), None), BadRequest)
    assert f"feature index {index} is past the {MAX_FEATURES} features" in message


def test_the_first_bad_line_is_named_before_later_lines_are_read() -> None:
    body = b"0 0:1\n0 7:1\n" + b"0 0:1\n" * 1000
    assert "LibSVM line 2" in refused(lambda: libsvm(body), UnprocessableEntity)


def test_libsvm_within_bounds_still_decodes_with_absent_entries_missing() -> None:
    frame = libsvm(b"1 0:1.5 2:3\n0 1:2\n")
    expected = np.array([[1.5, np.nan, 3.0], [np.nan, 2.0, np.nan]])
    np.testing.assert_array_equal(frame.to_numpy(), expected)
    assert list(frame.columns) == MODEL
    widest = libsvm(f"0 {MAX_FEATURES - 1}:1".encode(), None)
    assert widest.shape == (1, MAX_FEATURES) and widest.iloc[0, -1] == 1.0


# --- RecordIO-protobuf ------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    return bytes(out + bytes([value]))


def payload(values: Sequence[float], keys: Sequence[int] = (), shape: Sequence[int] = ()) -> bytes:
    """A Record whose features["values"] is a Float32Tensor (sparse with keys/shape), built
    with the SageMaker SDK's own protobuf class: it writes any keys and shape it is given."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the SDK warns about its own deprecation on import
        from sagemaker.amazon.record_pb2 import Record

    built = Record()
    tensor = built.features["values"].float32_tensor
    tensor.values.extend(values)
    tensor.keys.extend(keys)
    tensor.shape.extend(shape)
    return bytes(built.SerializeToString())


def record(values: Sequence[float], keys: Sequence[int] = (), shape: Sequence[int] = ()) -> bytes:
    return frame_record(payload(values, keys, shape))


def recordio(body: bytes, columns: list[str] | None = MODEL) -> pd.DataFrame:
    return RecordIOProtobufCodec().decode(
        body, MediaType("application/x-recordio-protobuf"), columns
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (record([1.0], [5], [3]), "sparse key 5 is beyond the 3 features the model reads"),
        (record([1.0], [2**32], [3]), f"sparse key {2**32} is beyond the 3 features"),
        (record([1.0], [0], [10**12]), f"sparse shape of {10**12} is beyond the 3 features"),
        (record([1.0, 2.0], [0], [3]), "1 sparse keys but 2 values"),
    ],
)
def test_a_recordio_shape_or_key_past_the_models_features_is_a_422(body: bytes, words: str) -> None:
    message = refused(lambda: recordio(record([1.0, 2.0, 3.0]) + body), UnprocessableEntity)
    assert "RecordIO-protobuf record 2" in message and words in message


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        (record([1.0], [0], [10**12]), 10**12),
        (record([1.0], [10**12]), 10**12 + 1),
        (record([1.0], [0], [MAX_FEATURES + 1]), MAX_FEATURES + 1),
    ],
)
def test_without_a_feature_count_a_recordio_row_past_max_features_is_a_400(
    body: bytes, declared: int
) -> None:
    message = refused(lambda: recordio(body, None), BadRequest)
    assert f"record 1 declares {declared} features, past the {MAX_FEATURES}" in message


def test_a_varint_longer_than_protobufs_ten_bytes_is_a_400() -> None:
    # Decoding an unbounded varint is quadratic: 6 MB of continuation bytes ran for hours.
    endless = frame_record(_varint(1 << 3) + b"\xff" * 1_000_000 + b"\x01")
    message = refused(lambda: recordio(endless), BadRequest)
    assert f"a varint longer than {MAX_VARINT_BYTES} bytes" in message
    # The longest a protobuf writes (a field this codec skips) still reads.
    longest = frame_record(_varint(5 << 3) + b"\xff" * 9 + b"\x01" + payload([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(recordio(longest).to_numpy(), [[1.0, 2.0, 3.0]])


def test_recordio_within_bounds_still_decodes_sparse_rows_with_absent_entries_missing() -> None:
    frame = recordio(record([1.5, 3.0], [0, 2], [3]) + record([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(frame.to_numpy(), [[1.5, np.nan, 3.0], [1.0, 2.0, 3.0]])
    assert recordio(record([1.0], [0], [MAX_FEATURES]), None).shape == (1, MAX_FEATURES)


# --- dense-record JSON ------------------------------------------------------------

JSON, JSONLINES = MediaType("application/json"), MediaType("application/jsonlines")


def sparse_record(size: int) -> str:
    return f'{{"data": {{"features": {{"keys": [0], "shape": [{size}], "values": [1.0]}}}}}}'


def sparse(size: int, records: int = 1) -> bytes:
    return ('{"instances": [' + ", ".join([sparse_record(size)] * records) + "]}").encode()


def test_a_sparse_record_past_the_models_features_is_a_422_before_its_row_is_made() -> None:
    message = refused(
        lambda: DenseJsonCodec().decode(sparse(10**6), JSON, MODEL), UnprocessableEntity
    )
    assert "record 1: shape [1000000] is beyond the 3 features the model reads" in message


@pytest.mark.parametrize("size", [MAX_FEATURES + 1, 1 << 24, 10**12])
def test_without_a_feature_count_a_sparse_shape_past_max_features_is_a_400(size: int) -> None:
    # 1 << 24 was allowed (MAX_CELLS): one 100-byte record made a 16-million-column table.
    words = f"shape [{size}] must be a whole number of features (0 to {MAX_FEATURES})"
    body = sparse(size, records=3)
    assert words in refused(lambda: DenseJsonCodec().decode(body, JSON, None), BadRequest)
    line = sparse_record(size).encode()
    assert words in refused(lambda: DenseJsonLinesCodec().decode(line, JSONLINES, None), BadRequest)


def test_sparse_records_within_bounds_still_decode_with_absent_keys_zero() -> None:
    frame = DenseJsonCodec().decode(sparse(3, records=2), JSON, MODEL)
    np.testing.assert_array_equal(frame.to_numpy(dtype=float), [[1.0, 0.0, 0.0]] * 2)
