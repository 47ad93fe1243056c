"""The direct path (CSV columns in, arrays out, no DataFrame) answers what the DataFrame
path answers: the same bytes, or the same error status and message.

`FrameStage.invoke` takes the direct path where it can; `invoke_frames` is the
DataFrame path (decode to a frame, `transform`, encode the frame). Both run on the
abalone-sklearn example's fitted featurizer, its RidgeCV on the featurizer's output
(a model fitted on an array), the two as one Pipeline, and a LogisticRegression's
labels, scores and probabilities; every held-out row one at a time, 1,000 rows at
once, and hostile bodies.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import Pipeline, make_pipeline

from inferline.containers.core.codecs import CSV, JSON, JSONLINES, NPY
from inferline.containers.core.codecs.table import ArrayTable, Columns
from inferline.containers.core.errors import ServingError
from inferline.containers.core.invocation import Answer, Invocation
from inferline.containers.core.media import MediaType, parse_accept
from inferline.stages.base import FrameStage
from inferline.stages.sklearn import SklearnStage
from inferline.stages.sklearn.stage import direct_input, model_input
from inferline.stages.xgboost.codecs import PredictionCsvCodec
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script

COLUMNS = list(data.ABALONE_FEATURES)
ACCEPTS = ("text/csv", "application/json", "application/jsonlines", "application/x-npy", "")


class Models:
    def __init__(self) -> None:
        train_rows, held_out = data.split(data.abalone())
        features = train_rows[COLUMNS]
        labels = train_rows[data.ABALONE_LABEL]
        self.featurizer = script.featurizer().fit(features)
        vectors = self.featurizer.transform(features)
        self.ridge = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(vectors, labels)
        self.pipeline: Pipeline = make_pipeline(
            script.featurizer(), RidgeCV(alphas=np.logspace(-3, 2, 12))
        ).fit(features, labels)
        self.logistic = LogisticRegression(max_iter=500).fit(vectors, labels > 9)
        self.held_out = held_out[COLUMNS].reset_index(drop=True)
        self.vectors = self.featurizer.transform(self.held_out)


@pytest.fixture(scope="module")
def models() -> Models:
    return Models()


def csv_body(rows: pd.DataFrame | np.ndarray) -> bytes:
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    return frame.to_csv(header=False, index=False).encode()


def reply(call: Any, invocation: Invocation) -> tuple[Any, list[str]]:
    """The answer (or the error's name, status and message), and the warnings raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            answer: Any = call(invocation)
        except ServingError as error:
            answer = type(error).__name__, error.status, error.message
    return answer, [f"{type(w.message).__name__}: {w.message}" for w in caught]


def same_replies(
    stage: FrameStage, body: bytes, content_type: str = CSV, accepts: Sequence[str] = ACCEPTS
) -> list[Any]:
    """Both paths' replies to `body` under each Accept; they must be equal."""
    replies = []
    for accept in accepts:
        invocation = Invocation(body, MediaType.parse(content_type), parse_accept(accept))
        direct, frames = reply(stage.invoke, invocation), reply(stage.invoke_frames, invocation)
        assert direct == frames, (body[:200], invocation.accept)
        replies.append(direct)
    return replies


def stages(models: Models) -> dict[str, SklearnStage]:
    return {
        "featurizer": SklearnStage.for_estimator(models.featurizer),
        "pipeline": SklearnStage.for_estimator(models.pipeline),
        "pipeline, not compiled": SklearnStage.for_estimator(models.pipeline, compiled=False),
    }


def array_stages(models: Models) -> dict[str, SklearnStage]:
    return {
        "ridge": SklearnStage.for_estimator(models.ridge),
        "ridge, not compiled": SklearnStage.for_estimator(models.ridge, compiled=False),
        "labels": SklearnStage.for_estimator(models.logistic),
        "scores": SklearnStage.for_estimator(models.logistic, "decision_function"),
        "probabilities": SklearnStage.for_estimator(models.logistic, "predict_proba"),
    }


def test_every_held_out_row_one_at_a_time_gets_the_same_bytes(models: Models) -> None:
    # The compiled stages of the example (scikit-learn's own calls take the same path
    # and are compared on 1,000 rows and hostile bodies below, at a fraction of the time).
    featurizer = SklearnStage.for_estimator(models.featurizer)
    pipeline = SklearnStage.for_estimator(models.pipeline)
    ridge = SklearnStage.for_estimator(models.ridge)
    accepts = ACCEPTS[:3]
    for index in range(len(models.held_out)):
        row = csv_body(models.held_out.iloc[[index]])
        same_replies(featurizer, row, accepts=accepts)
        same_replies(pipeline, row, accepts=accepts)
        same_replies(ridge, csv_body(models.vectors[[index]]), accepts=accepts)


def test_a_thousand_rows_get_the_same_bytes(models: Models) -> None:
    rows = pd.concat([models.held_out] * 2, ignore_index=True).iloc[:1000]
    for stage in stages(models).values():
        replies = same_replies(stage, csv_body(rows))
        assert all(isinstance(answer, Answer) for answer, _ in replies)
    vectors = np.vstack([models.vectors] * 2)[:1000]
    for stage in array_stages(models).values():
        same_replies(stage, csv_body(vectors))


def test_the_direct_answer_is_scikit_learns_prediction_written_as_before(
    models: Models,
) -> None:
    rows = models.held_out.iloc[:50]
    stage = SklearnStage.for_estimator(models.pipeline)
    answer = stage.invoke(Invocation(csv_body(rows), MediaType(CSV), (MediaType(CSV),)))
    wanted = models.pipeline.predict(rows)
    assert answer.body == "".join(f"{value!r}\n" for value in wanted.tolist()).encode()
    json_answer = stage.invoke(Invocation(csv_body(rows), MediaType(CSV), (MediaType(JSON),)))
    records = ",".join(f'{{"prediction":{value!r}}}' for value in wanted.tolist())
    assert json_answer.body == f'{{"predictions":[{records}]}}'.encode()


HOSTILE = [
    b'"M",0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n',  # quoted fields
    b'M,"0.45\n5",0.365,0.095,0.514,0.2245,0.101,0.15\n',  # an embedded newline
    b'M,"0.455,0.365",0.095,0.514,0.2245,0.101,0.15\n',  # a comma inside quotes
    b'M,"0.455,0.365,0.095\n',  # an unclosed quote
    b"\xef\xbb\xbfM,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n",  # a byte-order mark
    b"\xef\xbb\xbf",
    b"M,NaN,0.365,0.095,0.514,0.2245,0.101,0.15\n",
    b"M,inf,0.365,0.095,0.514,0.2245,0.101,-Infinity\n",
    b"M,,0.365,,0.514,0.2245,0.101,0.15\n,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n",
    b",,,,,,,\n",
    b"M,0.455,0.365\n",  # too few fields
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\nF,0.4\n",  # ragged rows
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15,9\n",  # too many
    b"X,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n",  # an unknown category
    b"M,abc,0.365,0.095,0.514,0.2245,0.101,0.15\n",  # a word for a number
    b"1,2,3,4,5,6,7,8\n",  # numbers for the category
    b"M,1e400,0.365,0.095,0.514,0.2245,0.101,0.15\n",
    b"M,99999999999999999999999,1,2,3,4,5,6\n",  # beyond int64
    b" M , 0.455 ,\t0.365,0.095,0.514,0.2245,0.101,0.15 \r\n",
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\r",  # a lone \r
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.1\x005\n",  # NUL
    b"M,0.455,0.365,0.095,0.514,0.2245,0.101,0.15\n\n\n I,0.1,0.1,0.1,0.1,0.1,0.1,0.1",
    b"\xff\xfe,1\n",  # not UTF-8
    b"\n\n",
    b"M," + b"1" * (csv.field_size_limit() + 1) + b",0.365,0.095,0.514,0.2245,0.101,0.15\n",
]


@pytest.mark.parametrize("body", HOSTILE)
def test_hostile_csv_gets_the_same_reply_on_both_paths(models: Models, body: bytes) -> None:
    for stage in stages(models).values():
        same_replies(stage, body)
    for stage in array_stages(models).values():
        same_replies(stage, body)


@pytest.mark.parametrize(
    "body",
    [
        b"1,2,3,4,5,6,7,8,9,10\n",
        b"nan,1,1,1,1,1,1,1,1,1\n",
        b"1e308,1e308,1e308,1e308,1e308,1,1,1,1,1\n-1e308,1,1,1,1,1,1,1,1,1\n",
        b"1.5,,2,3,4,5,6,7,8,9\n",
        b"a,b,c,d,e,f,g,h,i,j\n",
    ],
)
def test_odd_vectors_get_the_same_reply_on_both_paths(models: Models, body: bytes) -> None:
    for stage in array_stages(models).values():
        same_replies(stage, body)


def test_other_content_types_take_the_dataframe_path_unchanged(models: Models) -> None:
    stage = SklearnStage.for_estimator(models.pipeline)
    row = models.held_out.iloc[0].tolist()
    for body, content_type in [
        (f'{{"instances": [{row!r}]}}'.replace("'", '"').encode(), JSON),
        (f"{row!r}\n".replace("'", '"').encode(), JSONLINES),
        (b"not a type", "text/plain"),
    ]:
        same_replies(stage, body, content_type)
    assert NPY in stage.codecs.readable


def test_an_array_model_gets_the_array_pandas_would_give(models: Models) -> None:
    whole = np.round(models.vectors * 10).astype(np.int64)
    mixed = [np.array(column) for column in models.vectors.T]
    mixed[::2] = [np.array(column) for column in whole.T[::2]]  # int64 and float64 columns
    for values in (
        [np.array(column) for column in models.vectors[:1].T],
        [np.array(column) for column in models.vectors.T],
        [np.array(column) for column in whole.T],
        mixed,
    ):
        names = [str(index) for index in range(len(values))]
        columns = Columns(names, values)
        expected = model_input(models.ridge, columns.frame())
        actual = direct_input(models.ridge, columns)
        assert isinstance(expected, np.ndarray) and isinstance(actual, np.ndarray)
        assert (expected.dtype, expected.shape, expected.strides) == (
            actual.dtype,
            actual.shape,
            actual.strides,
        )
        assert expected.tobytes(order="A") == actual.tobytes(order="A")


def test_a_compiled_stage_answers_from_the_columns_without_a_frame(
    models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The compiled featurizer and pipeline get the decoded columns themselves (no
    # DataFrame is built), with the bytes the DataFrame path writes.
    body = csv_body(models.held_out.iloc[:3])
    invocation = Invocation(body, MediaType(CSV), (MediaType(CSV),))
    for name in ("featurizer", "pipeline"):
        stage = stages(models)[name]
        expected = stage.invoke_frames(invocation)
        with monkeypatch.context() as patched:
            patched.setattr(Columns, "frame", lambda _: pytest.fail("a frame was built"))
            assert stage.invoke(invocation) == expected, name


def test_columns_a_frame_would_convert_go_through_the_frame(
    models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Columns the frame would hold otherwise (a float32 column, strings pandas would turn
    # into its string dtype) or in another order: the frame path decides.
    stage = stages(models)["featurizer"]
    sex, *numbers = COLUMNS
    one_row = Columns(list(COLUMNS), [np.array(["M"], dtype=object)] + [np.array([0.5])] * 7)
    assert stage._compiled_on_columns(one_row) is not None
    float32 = Columns(list(COLUMNS), one_row.values[:-1] + [np.array([0.5], dtype=np.float32)])
    assert stage._compiled_on_columns(float32) is None
    reordered = Columns([*numbers, sex], one_row.values[1:] + one_row.values[:1])
    assert stage._compiled_on_columns(reordered) is None
    monkeypatch.setattr("inferline.containers.core.codecs.table._strings_inferred", lambda: True)
    assert stage._compiled_on_columns(one_row) is None


def test_a_codec_that_writes_its_own_csv_is_not_bypassed() -> None:
    table = ArrayTable(np.array([0.5, 1.5]), ("score",))
    assert PredictionCsvCodec().encode_array(table, MediaType(CSV)) is None


class PlusOne(FrameStage):
    """A table stage with no direct path of its own."""

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame + 1


def test_a_stage_without_a_direct_path_answers_through_its_transform() -> None:
    stage = PlusOne()
    invocation = Invocation(b"1,2.5\n3,4\n", MediaType(CSV), (MediaType(CSV),))
    assert stage.invoke(invocation) == stage.invoke_frames(invocation)
    assert stage.invoke(invocation).body == b"2,3.5\n4,5.0\n"


def json_bodies(rows: pd.DataFrame | np.ndarray) -> list[tuple[bytes, str]]:
    """`rows` in each shape the JSON and JSON Lines codecs read, with its content type."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    names = [str(name) for name in frame.columns]
    lists = [list(row) for row in frame.itertuples(index=False)]
    records = [dict(zip(names, row, strict=True)) for row in lists]
    documents: list[Any] = [
        {"instances": lists},
        {"inputs": lists},
        {"data": lists},
        {"columns": names, "data": lists},
        lists,
        records,
        {"predictions": records},  # what a JSON stage before this one answers
    ]
    if len(lists) == 1:
        documents += [lists[0], records[0], {"data": lists[0]}]
    bodies = [(json.dumps(document).encode(), JSON) for document in documents]
    for line_rows in (lists, records):
        lines = "".join(json.dumps(row) + "\n" for row in line_rows)
        bodies.append((lines.encode(), JSONLINES))
    return bodies


def test_json_rows_get_the_same_bytes_on_both_paths(models: Models) -> None:
    named = stages(models)
    pipeline, featurizer = named["pipeline"], named["featurizer"]
    ridge = SklearnStage.for_estimator(models.ridge)
    for index in range(0, len(models.held_out), 7):
        for body, content_type in json_bodies(models.held_out.iloc[[index]]):
            same_replies(pipeline, body, content_type, accepts=ACCEPTS[:3])
            same_replies(featurizer, body, content_type, accepts=ACCEPTS[1:2])
        for body, content_type in json_bodies(models.vectors[[index]]):
            same_replies(ridge, body, content_type, accepts=ACCEPTS[:3])


def test_a_thousand_json_rows_get_the_same_bytes(models: Models) -> None:
    rows = pd.concat([models.held_out] * 2, ignore_index=True).iloc[:1000]
    for stage in stages(models).values():
        for body, content_type in json_bodies(rows):
            replies = same_replies(stage, body, content_type)
            assert all(isinstance(answer, Answer) for answer, _ in replies)
    vectors = np.vstack([models.vectors] * 2)[:1000]
    for stage in array_stages(models).values():
        for body, content_type in json_bodies(vectors):
            same_replies(stage, body, content_type)


def test_json_rows_take_the_direct_path(models: Models) -> None:
    # Not only equal answers: the direct decoder reads these bodies (None would mean
    # the DataFrame path answered both calls above).
    stage = SklearnStage.for_estimator(models.pipeline)
    for body, content_type in json_bodies(models.held_out.iloc[:3]):
        decoder = stage.codecs.decoder_for(MediaType.parse(content_type))
        columns = decoder.decode_columns(body, MediaType.parse(content_type), COLUMNS)  # type: ignore[attr-defined]  # JSON and JSON Lines codecs are ColumnDecoders
        assert columns is not None, body[:80]
        frame = stage.codecs.decode(
            Invocation(body, MediaType.parse(content_type), ()), stage.input_columns
        )
        pd.testing.assert_frame_equal(columns.frame(), frame, check_exact=True)


ROW = '"M",0.455,0.365,0.095,0.514,0.2245,0.101,0.15'


def row_with(old: str, new: str) -> str:
    return ROW.replace(old, new)


STRING_LENGTH, MIXED = row_with("0.455", '"0.455"'), row_with("0.455", '"x"')
NULL_SEX = row_with('"M"', "null")
HOSTILE_JSON = [
    f'{{"instances":[[{ROW}]],"instances":[[1,2]]}}',  # a repeated key: the last wins
    '{"Sex":"M","Sex":"F","Length":0.4}',
    "[" * 5000 + "]" * 5000,  # deep nesting
    "[" * 1100 + ROW + "]" * 1100,  # past orjson's depth, not json's
    f"[[{row_with('0.455', '99999999999999999999999')}]]",  # beyond int64
    f"[[{row_with('0.455', '18446744073709551616')}]]",  # beyond 64 bits
    f"[[{row_with('0.455', '9223372036854775808')}]]",  # uint64
    f"[[{row_with('0.455', '1')}]]",
    f"[[{row_with('0.455', '-0')}]]",
    f"[[{row_with('0.455', '1e400')}]]",
    f"[[{row_with('0.455', 'NaN')}]]",
    f"[[{row_with('0.455', '-Infinity')}]]",
    f"[[{row_with('0.455', '0.1234567890123456789012')}]]",
    f"[[{STRING_LENGTH}]]",  # a string for a number
    f"[[{row_with('0.455', 'null')}]]",
    f"[[{row_with('0.455', 'true')}]]",
    f"[[{row_with('0.455', '[0.4, 0.5]')}]]",
    f"[[{row_with('0.455', '{}')}]]",
    f"[[{ROW}], [{row_with('0.455', '1')}], [{row_with('0.455', 'null')}]]",
    f"[[{ROW}], [{MIXED}]]",  # mixed types in a column
    f"[[{ROW}], [{NULL_SEX}]]",
    f"[[{NULL_SEX}]]",
    f"[[{ROW}], [0.4]]",  # ragged
    "[[0.4]]",
    f'[[{ROW}], {{"Sex": "M"}}]',  # lists and objects mixed
    '[{"Sex": "M", "Length": 0.4}, {"Length": 0.4, "Sex": "M"}]',  # keys reordered
    '[{"Sex": "M"}, {"Length": 0.4}]',
    "[{}]",
    "[]",
    "{}",
    '"M"',
    "3",
    "null",
    f"[[{ROW}]",  # malformed
    '["\\ud800"]',  # a lone surrogate
    f"\ufeff[[{ROW}]]",  # a byte-order mark
    f'{{"columns": "Sex", "data": [[{ROW}]]}}',
    f'{{"columns": ["a", "b"], "data": [[{ROW}]]}}',
]


@pytest.mark.parametrize("text", HOSTILE_JSON)
def test_hostile_json_gets_the_same_reply_on_both_paths(models: Models, text: str) -> None:
    body = text.encode()
    lines = b"\n".join(line.strip().encode() for line in text.split("\n")) + b"\n" + body
    named = stages(models)
    for stage in (named["pipeline"], named["featurizer"], *array_stages(models).values()):
        same_replies(stage, body, JSON, accepts=ACCEPTS[:2])
        same_replies(stage, lines, JSONLINES, accepts=ACCEPTS[1:3])
    same_replies(named["pipeline, not compiled"], body, JSON, accepts=ACCEPTS[1:2])
