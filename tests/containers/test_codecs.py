from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from inferline.containers.core.codecs import DEFAULT, CodecRegistry
from inferline.containers.core.codecs.csv import CsvCodec
from inferline.containers.core.codecs.json import JsonCodec
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec
from inferline.containers.core.codecs.npy import NpyCodec
from inferline.containers.core.errors import BadRequest, UnprocessableEntity, UnsupportedMediaType
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType

NAMES = ["sex", "length", "rings"]


def decode(mimetype: str, body: bytes, columns: list[str] | None = NAMES) -> pd.DataFrame:
    return DEFAULT.decode(Invocation(body, MediaType.parse(mimetype)), columns)


def test_one_csv_row_is_a_one_row_table() -> None:
    frame = decode("text/csv", b"M, 0.44, 7")
    assert frame.shape == (1, 3)
    assert list(frame.columns) == NAMES
    assert frame["sex"].iloc[0] == "M"
    assert frame["length"].dtype == np.float64
    assert frame["rings"].dtype == np.int64


def test_csv_empty_fields_are_missing_and_strings_stay_strings() -> None:
    frame = decode("text/csv; charset=utf-8", b"M,,7\nF,0.5,\n")
    assert frame["sex"].tolist() == ["M", "F"]
    assert np.isnan(frame["length"].iloc[0])
    assert np.isnan(frame["rings"].iloc[1])


def test_csv_quoted_fields_keep_commas() -> None:
    frame = decode("text/csv", b'"a, b",1,2', columns=None)
    assert frame.iloc[0, 0] == "a, b"
    assert list(frame.columns) == ["0", "1", "2"]


def test_ragged_csv_is_400_naming_the_row() -> None:
    with pytest.raises(BadRequest, match="row 2 has 2 fields"):
        decode("text/csv", b"M,1,2\nF,1\n")


def test_malformed_csv_is_400_naming_the_line() -> None:
    with pytest.raises(BadRequest, match="line"):
        decode("text/csv", b'M,"unterminated\n')


def test_wrong_column_count_is_422_listing_the_expected_columns() -> None:
    with pytest.raises(
        UnprocessableEntity, match="expected 3 values per row \\(sex, length, rings\\), got 2"
    ):
        decode("text/csv", b"M,1")


@pytest.mark.parametrize(
    "body",
    [
        b'{"instances": [["M", 0.44, 7]]}',
        b'{"instances": [{"sex": "M", "length": 0.44, "rings": 7}]}',
        b'{"inputs": [["M", 0.44, 7]]}',
        b'{"data": ["M", 0.44, 7]}',
        b'{"columns": ["sex", "length", "rings"], "data": [["M", 0.44, 7]]}',
        b'[["M", 0.44, 7]]',
        b'[{"sex": "M", "length": 0.44, "rings": 7}]',
        b'{"sex": "M", "length": 0.44, "rings": 7}',
        b'{"predictions": [{"sex": "M", "length": 0.44, "rings": 7}]}',
    ],
)
def test_json_accepts_the_shapes_people_send(body: bytes) -> None:
    frame = decode("application/json", body)
    assert frame.to_dict("records") == [{"sex": "M", "length": 0.44, "rings": 7}]


def test_malformed_json_is_400_with_position() -> None:
    with pytest.raises(BadRequest, match="line 1 column"):
        decode("application/json", b'{"instances": [')


def test_jsonlines_reads_a_row_per_line_and_names_a_bad_line() -> None:
    frame = decode(
        "application/jsonlines", b'["M", 0.44, 7]\n\n{"sex": "F", "length": 0.5, "rings": 9}\n'
    )
    assert frame["sex"].tolist() == ["M", "F"]
    with pytest.raises(BadRequest, match="line 2"):
        decode("application/jsonlines", b'["M", 0.44, 7]\n{oops\n')


def test_npy_round_trip_and_no_pickles() -> None:
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    buffer = io.BytesIO()
    np.save(buffer, array)
    frame = decode("application/x-npy", buffer.getvalue())
    assert frame.to_numpy().tolist() == array.tolist()
    pickled = io.BytesIO()
    np.save(pickled, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(BadRequest, match="npy"):
        decode("application/x-npy", pickled.getvalue())


def test_one_dimensional_npy_is_one_row() -> None:
    buffer = io.BytesIO()
    np.save(buffer, np.array([1.0, 2.0, 3.0]))
    assert decode("application/x-npy", buffer.getvalue()).shape == (1, 3)


def test_unknown_content_type_is_415_listing_the_supported_ones() -> None:
    with pytest.raises(UnsupportedMediaType, match="text/csv"):
        decode("image/png", b"...")


FRAME = pd.DataFrame({"label": ["a", "b"], "score": [0.25, float("nan")], "n": [1, 2]})


def test_encodings_of_a_table() -> None:
    media = MediaType("x")
    assert CsvCodec().encode(FRAME, media) == b"a,0.25,1\nb,,2\n"
    assert JsonCodec().encode(FRAME, media) == (
        b'{"predictions":[{"label":"a","score":0.25,"n":1},{"label":"b","score":null,"n":2}]}'
    )
    assert (
        JsonLinesCodec().encode(FRAME, media).splitlines()[1] == b'{"label":"b","score":null,"n":2}'
    )


def test_vector_cells_are_flattened_in_csv_and_listed_in_json() -> None:
    frame = pd.DataFrame({"id": [1], "features": [np.array([0.5, 1.0])]})
    assert CsvCodec().encode(frame, MediaType("x")) == b"1,0.5,1.0\n"
    assert (
        JsonCodec().encode(frame, MediaType("x"))
        == b'{"predictions":[{"id":1,"features":[0.5,1.0]}]}'
    )


@pytest.mark.parametrize("codec", [CsvCodec(), JsonCodec(), JsonLinesCodec(), NpyCodec()])
def test_every_codec_round_trips_a_numeric_table(codec: object) -> None:
    frame = pd.DataFrame({"a": [1.5, -2.0], "b": [0.0, 3.25]})
    media = MediaType(codec.mimetype)  # type: ignore[attr-defined]
    body = codec.encode(frame, media)  # type: ignore[attr-defined]
    back = codec.decode(body, media, ["a", "b"])  # type: ignore[attr-defined]
    assert back.astype(float).to_numpy().tolist() == frame.to_numpy().tolist()


def test_registry_answers_in_the_negotiated_type_with_a_bare_content_type() -> None:
    answer = DEFAULT.encode(FRAME, (MediaType.parse("text/csv;q=0.9"),), "application/json")
    assert answer.content_type == "text/csv"
    assert DEFAULT.encode(FRAME, (), "application/json").content_type == "application/json"


def test_registries_layer_without_changing_the_default() -> None:
    class Upper(CsvCodec):
        def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
            return super().encode(frame, media).upper()

    layered: CodecRegistry = DEFAULT.with_codecs(Upper())
    assert layered.encode(FRAME, (MediaType("text/csv"),), "text/csv").body.startswith(b"A,")
    assert DEFAULT.encode(FRAME, (MediaType("text/csv"),), "text/csv").body.startswith(b"a,")
