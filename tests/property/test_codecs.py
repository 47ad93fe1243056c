"""Property-based tests of every codec: round trips, and only our errors on any bytes.

`decode(encode(x)) == x` where a codec both writes and reads the same shape (CSV,
JSON, JSON Lines, .npy tables; RecordIO framing); for every decoder in the catalogue,
arbitrary bytes, and arbitrary JSON documents for the JSON ones, either decode or
raise a `ServingError` with a 4xx status: never a crash, a RecursionError or a 500.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferline.containers.core.codecs import CSV, DEFAULT, JSON, JSONLINES, NPY
from inferline.containers.core.codecs.recordio import frame_record, payloads
from inferline.containers.core.errors import ServingError
from inferline.containers.core.media import MediaType
from tests.property.catalogue import DECODERS, Entry

EXAMPLES = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = sorted(DECODERS)

finite = st.floats(allow_nan=False, allow_infinity=False)
json_scalars = st.none() | st.booleans() | st.integers() | finite | st.text(max_size=8)
json_documents = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


def only_our_errors(entry: Entry, body: bytes) -> None:
    """Decoding `body` succeeds or raises a 4xx ServingError; anything else fails."""
    try:
        entry.decode(body)
    except ServingError as error:
        assert 400 <= error.status < 500, f"{type(error).__name__} {error.status}: {error}"
        assert error.message, "an error with no message"


@pytest.mark.parametrize("name", NAMES)
@EXAMPLES
@given(body=st.binary(max_size=512))
def test_arbitrary_bytes_raise_only_our_errors(name: str, body: bytes) -> None:
    only_our_errors(DECODERS[name], body)


@pytest.mark.parametrize("name", [n for n in NAMES if "json" in n])
@EXAMPLES
@given(document=json_documents, lines=st.booleans())
def test_arbitrary_json_documents_raise_only_our_errors(
    name: str, document: object, lines: bool
) -> None:
    text = json.dumps(document)
    body = (text + "\n" + text if lines else text).encode()
    only_our_errors(DECODERS[name], body)


@pytest.mark.parametrize("name", NAMES)
def test_deep_nesting_is_a_client_error(name: str) -> None:
    for body in (b"[" * 10_000 + b"]" * 10_000, b'{"a":' * 10_000 + b"1" + b"}" * 10_000):
        only_our_errors(DECODERS[name], body)


def frames(elements: st.SearchStrategy[object]) -> st.SearchStrategy[pd.DataFrame]:
    """Tables of 1-4 rows by 1-3 columns named "0", "1", ... of one element kind each."""

    @st.composite
    def build(draw: st.DrawFn) -> pd.DataFrame:
        rows, width = draw(st.integers(1, 4)), draw(st.integers(1, 3))
        return pd.DataFrame(
            {str(c): draw(st.lists(elements, min_size=rows, max_size=rows)) for c in range(width)}
        )

    return build()


def round_trip(mimetype: str, frame: pd.DataFrame) -> pd.DataFrame:
    media = MediaType.parse(mimetype)
    codec = DEFAULT.decoder_for(media)
    encoded = codec.encode(frame, media)  # type: ignore[attr-defined]  # table codecs encode
    return codec.decode(encoded, media, [str(name) for name in frame.columns])


@pytest.mark.parametrize("mimetype", [CSV, JSON, JSONLINES, NPY])
@EXAMPLES
@given(frame=frames(finite))
def test_float_tables_round_trip(mimetype: str, frame: pd.DataFrame) -> None:
    decoded = round_trip(mimetype, frame)
    np.testing.assert_array_equal(decoded.to_numpy(dtype=float), frame.to_numpy(dtype=float))
    assert list(decoded.columns) == list(frame.columns)


@pytest.mark.parametrize("mimetype", [CSV, JSON, JSONLINES])
@EXAMPLES
@given(frame=frames(st.integers(-(2**63), 2**63 - 1)))
def test_integer_tables_round_trip(mimetype: str, frame: pd.DataFrame) -> None:
    decoded = round_trip(mimetype, frame)
    assert decoded.to_numpy().tolist() == frame.to_numpy().tolist()


safe_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp")), min_size=1, max_size=8
).filter(lambda s: s.strip() == s and not _is_number(s))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("mimetype", [CSV, JSON, JSONLINES])
@EXAMPLES
@given(frame=frames(safe_text))
def test_text_tables_round_trip(mimetype: str, frame: pd.DataFrame) -> None:
    decoded = round_trip(mimetype, frame)
    assert decoded.to_numpy().tolist() == frame.to_numpy().tolist()


@EXAMPLES
@given(records=st.lists(st.binary(max_size=64), max_size=6))
def test_recordio_framing_round_trips(records: list[bytes]) -> None:
    body = b"".join(frame_record(record) for record in records)
    assert list(payloads(body)) == records
