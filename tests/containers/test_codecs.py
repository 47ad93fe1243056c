from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest

from inferline.containers.core.codecs import (
    CSV,
    DEFAULT,
    JSON,
    JSONLINES,
    NPY,
    Codec,
    CodecRegistry,
    Registry,
)
from inferline.containers.core.codecs.csv import CsvCodec
from inferline.containers.core.codecs.json import JsonCodec
from inferline.containers.core.codecs.jsonlines import JsonLinesCodec
from inferline.containers.core.codecs.npy import NpyCodec
from inferline.containers.core.errors import (
    BadRequest,
    NotAcceptable,
    UnprocessableEntity,
    UnsupportedMediaType,
)
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.stages.linear_learner import codecs as linear_learner_codecs
from inferline.stages.sparkml import wire
from inferline.stages.sparkml.schema import ColumnSchema
from inferline.stages.xgboost import codecs as xgboost_codecs

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


# The one registry: codecs registering themselves, and the 415/406 answers of every kind.


class Upside:
    """A decoder-only table codec with a no-argument constructor."""

    mimetype = "text/x-upside"

    def decode(self, body: bytes, media: MediaType, columns: Sequence[str] | None) -> pd.DataFrame:
        return pd.DataFrame({"text": [body.decode()[::-1]]})


def test_a_codec_class_registers_itself_and_reads_its_type() -> None:
    registry: CodecRegistry = CodecRegistry()
    assert registry.register(Upside) is Upside  # the class decorator leaves the class alone
    assert registry.readable == ["text/x-upside"]
    assert registry.writable == []  # it does not encode, so it is never offered
    frame = registry.decode(Invocation(b"abc", MediaType.parse("TEXT/X-Upside; charset=utf-8")))
    assert frame["text"].tolist() == ["cba"]


def test_registering_replaces_the_codec_for_a_type_and_layers_copy() -> None:
    registry: CodecRegistry = CodecRegistry([CsvCodec()])
    layered = registry.with_codecs(JsonCodec())

    @registry.register
    class Shouting(CsvCodec):
        def encode(self, frame: pd.DataFrame, media: MediaType) -> bytes:
            return super().encode(frame, media).upper()

    assert registry.encode(FRAME, (), "text/csv").body.startswith(b"A,")
    assert layered.encode(FRAME, (), "text/csv").body.startswith(b"a,")  # copied before
    assert layered.readable == ["text/csv", "application/json"]
    assert registry.readable == ["text/csv"]


def test_what_is_not_a_codec_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match="int is not a codec"):
        CodecRegistry().register(3)


def test_table_codecs_are_registered_in_the_default_registry() -> None:
    assert DEFAULT.readable == [CSV, JSON, JSONLINES, NPY]
    assert DEFAULT.writable == [CSV, JSON, JSONLINES, NPY]
    assert all(isinstance(DEFAULT.decoder_for(MediaType(t)), Codec) for t in DEFAULT.readable)


REGISTRIES: dict[str, Registry[Any, Any]] = {
    "table": DEFAULT,
    "spark ml rows": wire.CODECS,
    "xgboost requests": xgboost_codecs.requests(),
    "linear learner": linear_learner_codecs.REGISTRY,
}


@pytest.mark.parametrize("kind", REGISTRIES)
def test_every_kind_answers_the_same_415(kind: str) -> None:
    registry = REGISTRIES[kind]
    with pytest.raises(UnsupportedMediaType) as raised:
        registry.decode(Invocation(b"x", MediaType.parse("image/png")))
    assert str(raised.value) == (
        f"cannot read Content-Type 'image/png'; send one of {', '.join(registry.readable)}"
    )
    with pytest.raises(UnsupportedMediaType, match=r"cannot read Content-Type '\(none\)'"):
        registry.decode(Invocation(b"x", MediaType.parse("")))


def test_table_and_row_registries_answer_the_same_406() -> None:
    spark_output = wire.Output(np.array([1.0]), ColumnSchema("prediction", "double"))
    messages = []
    outputs: list[tuple[Registry[Any, Any], object]] = [
        (DEFAULT, FRAME),
        (wire.CODECS, spark_output),
    ]
    for registry, value in outputs:
        with pytest.raises(NotAcceptable) as raised:
            registry.encode(value, (MediaType("image/png"),), CSV)
        messages.append(str(raised.value))
    assert messages == [
        "cannot produce Accept 'image/png'; this stage produces "
        "application/json, application/jsonlines, application/x-npy, text/csv",
        "cannot produce Accept 'image/png'; this stage produces "
        "application/json, application/jsonlines, text/csv",
    ]


def test_the_row_registry_answers_without_pandas_and_keeps_accept_parameters() -> None:
    output = wire.Output(np.array([[1.0, 2.5]]), ColumnSchema("features", "double", "vector"))
    as_text = (MediaType.parse("application/jsonlines;data=text"),)
    answer = wire.CODECS.encode(output, as_text, wire.DEFAULT_ACCEPT)
    assert (answer.body, answer.content_type) == (b'{"source":"1.0 2.5"}', JSONLINES)
    assert wire.CODECS.encode(output, (), wire.DEFAULT_ACCEPT).body == b"1.0,2.5"
    request = wire.CODECS.decode(Invocation(b"1.5,x\n", MediaType(CSV)))
    assert isinstance(request, wire.Request) and request.payloads == ([["1.5", "x"]],)


def test_text_bodies_that_are_not_utf8_are_400_naming_the_format() -> None:
    with pytest.raises(BadRequest, match=r"^CSV body is not UTF-8 \(byte 1\)$"):
        decode("text/csv", b"a\xff,1,2")
    with pytest.raises(BadRequest, match=r"^CSV body is not UTF-8 \(byte 1\)$"):
        wire.CODECS.decode(Invocation(b"a\xff", MediaType(CSV)))
