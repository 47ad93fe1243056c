"""The linear-learner stage's direct path (no pandas) answers byte for byte as the table path.

The reference is the table path as it stood before the direct path: the stage's codecs
decode the body into a DataFrame, `feature_matrix`, scikit-learn's own `predict` (never
the compiled function), a DataFrame of scores, the codecs encode. Every reply of the
stage, and every error (status and message), must be that one.
"""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from inferline.containers.core.codecs.base import EMPTY_BODY
from inferline.containers.core.codecs.dense import column_body, dense_matrix, feature_matrix
from inferline.containers.core.errors import BadRequest, ServingError
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.containers.core.settings import Settings
from inferline.stages.linear_learner import LinearLearnerStage, load, save
from inferline.stages.linear_learner.algo import MXNetLinearRegressor
from inferline.stages.linear_learner.codecs import REGISTRY
from inferline.stages.sklearn.stage import call
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script
from tests.model_stages.conftest import abalone_numbers, sagemaker_recordio

JSON, JSONLINES, CSV = "application/json", "application/jsonlines", "text/csv"
RECORDIO = "application/x-recordio-protobuf"
ACCEPTS = (None, "*/*", JSON, JSONLINES, CSV, f"{JSONLINES};data=text")
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "linear-learner"
Outcome = tuple[int, bytes, str]


def held_out_features() -> tuple[RidgeCV, np.ndarray]:
    """The abalone-sklearn example's RidgeCV, and its featurizer's held-out rows, as
    training fits and serves them (the regressor's inputs in the served pipeline)."""
    train_rows, held_out = data.split(data.abalone())
    featurizer = script.featurizer().fit(train_rows[list(data.ABALONE_FEATURES)])
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(
        featurizer.transform(train_rows), train_rows[data.ABALONE_LABEL]
    )
    return regressor, featurizer.transform(held_out[list(data.ABALONE_FEATURES)])


REGRESSOR, HELD_OUT = held_out_features()
FEATURES, RINGS, _ = abalone_numbers()


def featurizer_json(rows: np.ndarray) -> bytes:
    """What the featurizer script's output_fn answers for application/json."""
    return json.dumps({"instances": [{"features": row.tolist()} for row in rows]}).encode()


def featurizer_csv(rows: np.ndarray) -> bytes:
    """What the featurizer script's output_fn answers for text/csv."""
    buffer = io.StringIO()
    np.savetxt(buffer, rows, delimiter=",", fmt="%.17g")
    return buffer.getvalue().encode()


def jsonlines(rows: np.ndarray) -> bytes:
    return b"".join(json.dumps({"features": row.tolist()}).encode() + b"\n" for row in rows)


def bodies(rows: np.ndarray) -> Iterator[tuple[bytes, str]]:
    yield featurizer_json(rows), JSON
    yield featurizer_csv(rows), CSV
    yield jsonlines(rows), JSONLINES


def invocation(body: bytes, content_type: str, accept: str | None = None) -> Invocation:
    accepted = () if accept is None else (MediaType.parse(accept),)
    return Invocation(body, MediaType.parse(content_type), accepted)


def table_path(stage: LinearLearnerStage, request: Invocation) -> Outcome:
    """The reply (or error) of the DataFrame path with scikit-learn's own predict."""
    try:
        if not request.body.strip():
            raise BadRequest(EMPTY_BODY)
        frame = REGISTRY.decode(request)
        if frame.empty:
            scores: object = []
        else:
            estimator = stage.estimator
            features: Any = feature_matrix(frame, getattr(estimator, "n_features_in_", None))
            names = getattr(estimator, "feature_names_in_", None)
            if names is not None:
                features = pd.DataFrame(features, columns=names)
            scores = call(estimator, "predict", features)
        answer = REGISTRY.encode(pd.DataFrame({"score": scores}), request.accept, JSON)
    except ServingError as error:
        return error.status, str(error).encode(), "error"
    return 200, answer.body, answer.content_type


def assert_same_matrix(body: bytes, content_type: str) -> None:
    """Where `dense_matrix` reads a body, it reads the table path's matrix bit for bit."""
    matrix = dense_matrix(body, content_type)
    if matrix is not None:
        frame = REGISTRY.decode(invocation(body, content_type))
        want = feature_matrix(frame, None)
        assert matrix.tobytes("A") == want.tobytes("A") and matrix.strides == want.strides


def served(stage: LinearLearnerStage, request: Invocation) -> Outcome:
    try:
        answer = stage.invoke(request)
    except ServingError as error:
        return error.status, str(error).encode(), "error"
    return answer.status, answer.body, answer.content_type


def assert_same(stage: LinearLearnerStage, request: Invocation) -> Outcome:
    outcome = served(stage, request)
    assert outcome == table_path(stage, request), request
    return outcome


@pytest.fixture(scope="module")
def ridge() -> LinearLearnerStage:
    stage = LinearLearnerStage(REGRESSOR)
    assert stage.compiled is not None  # the example's model runs compiled on this path
    return stage


@pytest.fixture(scope="module")
def mxnet(tmp_path_factory: pytest.TempPathFactory) -> LinearLearnerStage:
    model_dir = tmp_path_factory.mktemp("model-algo")
    shutil.copy(FIXTURES / "model_algo-1", model_dir / "model_algo-1")
    stage = load(model_dir, Settings())
    assert isinstance(stage.estimator, MXNetLinearRegressor)
    return stage


@pytest.fixture(scope="module")
def pipeline() -> LinearLearnerStage:
    model = make_pipeline(StandardScaler(), LinearRegression())
    return LinearLearnerStage(model.fit(FEATURES, RINGS))


@pytest.fixture(scope="module")
def named() -> LinearLearnerStage:
    columns = [f"x{i}" for i in range(FEATURES.shape[1])]
    frame = pd.DataFrame(FEATURES, columns=columns)
    return LinearLearnerStage(LinearRegression().fit(frame, RINGS))


def test_inferline_sklearn_compile_false_serves_scikit_learns_own_predict(
    tmp_path: Path,
) -> None:
    save(REGRESSOR, tmp_path)
    assert load(tmp_path, Settings()).compiled is not None
    off = load(tmp_path, Settings.from_env({"INFERLINE_SKLEARN_COMPILE": "false"}))
    assert off.compiled is None
    for body, content_type in bodies(HELD_OUT[:3]):
        assert assert_same(off, invocation(body, content_type))[0] == 200


def test_the_featurizers_bodies_take_the_direct_path() -> None:
    """Without this the equality tests below could pass with the direct path never taken."""
    for body, content_type in bodies(HELD_OUT[:5]):
        matrix = dense_matrix(body, content_type)
        assert matrix is not None and matrix.flags.f_contiguous, content_type
        assert np.array_equal(matrix, HELD_OUT[:5])


def test_every_held_out_row_alone_is_byte_identical(ridge: LinearLearnerStage) -> None:
    for row in range(len(HELD_OUT)):
        body = featurizer_json(HELD_OUT[row : row + 1])
        status, answer, _ = assert_same(ridge, invocation(body, JSON))
        assert status == 200 and answer.startswith(b'{"predictions":[{"score":')
    for row in range(0, len(HELD_OUT), 7):
        for body, content_type in bodies(HELD_OUT[row : row + 1]):
            for accept in ACCEPTS:
                assert_same(ridge, invocation(body, content_type, accept))


def test_all_held_out_rows_at_once_are_byte_identical(
    ridge: LinearLearnerStage, pipeline: LinearLearnerStage, named: LinearLearnerStage
) -> None:
    for body, content_type in bodies(HELD_OUT):
        for accept in ACCEPTS:
            assert assert_same(ridge, invocation(body, content_type, accept))[0] == 200
    # A compiled Pipeline, and a model fitted on named columns (given its names back).
    for stage in (pipeline, named):
        for body, content_type in bodies(FEATURES):
            for accept in (JSON, CSV, JSONLINES):
                assert assert_same(stage, invocation(body, content_type, accept))[0] == 200
        for row in range(0, len(FEATURES), 13):
            assert_same(stage, invocation(featurizer_csv(FEATURES[row : row + 1]), CSV, CSV))


def test_mxnet_regressor_is_byte_identical(mxnet: LinearLearnerStage) -> None:
    rows = np.random.default_rng(7).normal(size=(300, 3)) * [1, 10, 0.1]
    for count in (1, 2, 300):
        for body, content_type in bodies(rows[:count]):
            for accept in ACCEPTS:
                assert assert_same(mxnet, invocation(body, content_type, accept))[0] == 200


def test_recordio_and_npy_in_and_recordio_out_stay_on_the_table_path(
    ridge: LinearLearnerStage, mxnet: LinearLearnerStage
) -> None:
    rows = HELD_OUT[:40]
    for count in (1, 40):
        body = sagemaker_recordio(rows[:count].astype(np.float32))
        for accept in (*ACCEPTS, RECORDIO):
            assert assert_same(ridge, invocation(body, RECORDIO, accept))[0] == 200
        buffer = io.BytesIO()
        np.save(buffer, rows[:count])
        npy = invocation(buffer.getvalue(), "application/x-npy", JSON)
        assert assert_same(ridge, npy)[0] == 200
        recordio_out = invocation(featurizer_json(rows[:count]), JSON, RECORDIO)
        assert assert_same(ridge, recordio_out)[0] == 200
    three = featurizer_csv(np.ones((3, 3)))
    assert assert_same(mxnet, invocation(three, CSV, RECORDIO))[0] == 200


WIDTH = HELD_OUT.shape[1]
ROW = ",".join(["1.5"] * WIDTH)
FEATURES_ROW = "[" + ROW + "]"
COLUMNS = json.dumps([str(i) for i in range(WIDTH)])
SPARSE = '{"instances": [{"data": {"features": {"keys": [KEY], "shape": [10], "values": [1]}}}]}'


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("", JSON),
        ("  \n", CSV),
        ('{"instances": []}', JSON),
        ('{"instances": [{"features": [1, 2]}]}', JSON),
        ('{"instances": [{"features": 3}]}', JSON),
        (f'{{"instances": [{{"features": {FEATURES_ROW}}}, {{"features": [1]}}]}}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, "x"]}]}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, null]}]}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, true]}]}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, NaN]}]}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, 1e400]}]}', JSON),
        ('{"instances": [{"features": [1, 2, 3, 4, 5, 6, 7, 8, 9, 18446744073709551616]}]}', JSON),
        ('{"instances": [{"features": [[1, 2], 3, 4, 5, 6, 7, 8, 9, 1, 2]}]}', JSON),
        (SPARSE.replace("KEY", "12"), JSON),
        (SPARSE.replace("KEY", "9"), JSON),
        (f'{{"instances": [{{"data": {{"features": {{"values": {FEATURES_ROW}}}}}}}]}}', JSON),
        (f'{{"columns": {COLUMNS}, "data": [{FEATURES_ROW}]}}', JSON),
        (f'{{"features": {FEATURES_ROW}}}', JSON),
        ('{"instances": [{"features": ["1.5", 2, 3, 4, 5, 6, 7, 8, 9, 1]}]}', JSON),
        (
            '{"instances": [{"features": [null, 2, 3, 4, 5, 6, 7, 8, 9, 1]}, {"features": '
            "[null, 2, 3, 4, 5, 6, 7, 8, 9, 1]}]}",
            JSON,
        ),
        (f'{{"instances": [{{"features": {FEATURES_ROW}, "id": "a"}}]}}', JSON),
        (f'{{"instances": [{{"features": {FEATURES_ROW}}}], "configuration": {{"k": 1}}}}', JSON),
        (f'{{"instances": [{FEATURES_ROW}, {{"features": {FEATURES_ROW}}}]}}', JSON),
        (f"[[{ROW.replace('1.5', 'true', 1)}], [{ROW}]]", JSON),
        (f'{{"features": {FEATURES_ROW}, "label": "x"}}\n', JSONLINES),
        (f"[{FEATURES_ROW}, {FEATURES_ROW}]", JSON),
        (f"{FEATURES_ROW}", JSON),
        (f"[{FEATURES_ROW}, 3]", JSON),
        (f'{{"inputs": [{FEATURES_ROW}]}}', JSON),
        ('{"instances": [{"features": [1, 2]}', JSON),
        (f'\ufeff{{"instances": [{{"features": {FEATURES_ROW}}}]}}', JSON),
        (f'{{"features": {FEATURES_ROW}}}\n{{"features": [1', JSONLINES),
        (f'{{"features": {FEATURES_ROW}}}\n\n{FEATURES_ROW}\n', JSONLINES),
        (f'{{"features": {FEATURES_ROW}}}\n{{"features": [1, 2]}}\n', JSONLINES),
        (f"{ROW}\n{ROW},1\n", CSV),
        (f"{ROW}\n\n{ROW}\n", CSV),
        (f"{ROW}\n  \n{ROW}\n", CSV),
        (f"{ROW}\r\n{ROW}\r\n", CSV),
        (f"{ROW}\r{ROW}\r", CSV),
        (ROW.replace("1.5", "x", 1), CSV),
        (ROW.replace("1.5", "", 1), CSV),
        (ROW.replace("1.5", "nan", 1), CSV),
        (ROW.replace("1.5", "+1", 1), CSV),
        (ROW.replace("1.5", ".5", 1), CSV),
        (ROW.replace("1.5", "1_0", 1), CSV),
        (ROW.replace("1.5", '"1"', 1), CSV),
        (ROW.replace("1.5", "[1]", 1), CSV),
        (ROW.replace("1.5", "true", 1), CSV),
        (ROW.replace("1.5", "1e400", 1), CSV),
        (ROW.replace("1.5", " 2 ", 1), CSV),
        (ROW.replace("1.5", "18446744073709551616", 1), CSV),
        ("\ufeff" + ROW, CSV),
        (",".join(["1"] * (WIDTH + 1)), CSV),
        (ROW, "application/x-unknown"),
    ],
)
def test_every_body_gets_the_table_paths_answer_or_error(
    ridge: LinearLearnerStage, body: str, content_type: str
) -> None:
    for accept in (None, CSV, "image/png"):
        assert_same(ridge, invocation(body.encode(), content_type, accept))
    if content_type != "application/x-unknown":
        assert_same_matrix(body.encode(), content_type)


def test_bodies_with_strings_elsewhere_and_nulls_read_as_the_table_path(
    mxnet: LinearLearnerStage,
) -> None:
    """A body with more quotes than its keys may hold strings among its numbers: numpy
    checks every value then. null is a missing value, NaN on both paths (and null out)."""
    tagged = b'{"instances": [{"features": [1, 2.5, 3], "id": "a"}], "k": "v"}'
    assert dense_matrix(tagged, JSON) is not None
    assert dense_matrix(b'{"instances": [{"features": [1, "2.5", 3]}]}', JSON) is None
    for body in (tagged, b"[[1, null, 3], [4, 5, 6]]", b'{"features": [null, null, null]}'):
        assert_same_matrix(body, JSON)
        for accept in (JSON, CSV, JSONLINES):
            assert assert_same(mxnet, invocation(body, JSON, accept))[0] == 200
    assert b"null" in served(mxnet, invocation(b"[[1, null, 3]]", JSON, JSON))[1]


def test_negative_zero_keeps_its_sign() -> None:
    """``-0`` in a CSV column of floats is -0.0 on the table path (JSON reads it as 0)."""
    for body in (b"-0\n0.5\n", b"-0,1\n", b"-0.0,1\n", b"-0e0\n0\n", b"-0,-0\n-0,1.5\n"):
        assert_same_matrix(body, CSV)
    assert dense_matrix(b"-0.0,1\n", CSV) is not None


def test_random_number_spellings_read_as_the_table_path_reads_them(
    mxnet: LinearLearnerStage,
) -> None:
    rng = np.random.default_rng(11)
    spellings: list[Callable[[float], str]] = [
        repr,
        lambda value: f"{value:.17g}",
        lambda value: f"{value:.3e}",
        lambda value: f"{value:.25f}",
        lambda value: str(int(value * 1e6)),
        lambda value: str(int(value * 1e22)),
        lambda value: f"{value:.40e}",
    ]
    hard = ["9007199254740993", "2.2250738585072011e-308", "1.00000000000000011102230246251565"]
    for trial in range(60):
        values = rng.normal(size=(20, 3)) * 10.0 ** rng.integers(-8, 8, size=(20, 3))
        spell = spellings[trial % len(spellings)]
        text = [[spell(value) for value in row] for row in values.tolist()]
        text[0][0] = hard[trial % len(hard)]
        csv_body = "".join(",".join(row) + "\n" for row in text).encode()
        json_body = ("[" + ",".join("[" + ",".join(row) + "]" for row in text) + "]").encode()
        for body, content_type in ((csv_body, CSV), (json_body, JSON)):
            assert dense_matrix(body, content_type) is not None
            assert_same_matrix(body, content_type)
            assert assert_same(mxnet, invocation(body, content_type, JSON))[0] == 200


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_score_columns_are_written_as_the_codecs_write_them(dtype: type[np.floating]) -> None:
    rng = np.random.default_rng(5)
    magnitudes = 10.0 ** rng.uniform(-3.9, 20, size=2000)
    values = np.concatenate(
        [magnitudes * rng.choice([-1, 1], size=2000), [0.0, -0.0, 1e16, 1.0, 3.0]]
    ).astype(dtype)
    if dtype is np.float64:  # 1e-4 as a float32 is 9.999999747378752e-05
        values = np.append(values, [1e-4, -1e-4])
    for mimetype in (JSON, JSONLINES, CSV):
        want = REGISTRY.encode(pd.DataFrame({"score": values}), (MediaType(mimetype),), JSON)
        assert column_body("score", values, mimetype) == want.body
        for row in range(0, 2000, 101):
            one = values[row : row + 1]
            want = REGISTRY.encode(pd.DataFrame({"score": one}), (MediaType(mimetype),), JSON)
            assert column_body("score", one, mimetype) == want.body
    for size in (2, 200):  # checked in Python, and by numpy
        # What orjson spells differently (0.00001, 1e-9): written as the codecs write it.
        for tiny in (1e-5, -3.5e-9, 9.9999e-5, 5e-324):
            scores = np.full(size, 2.0, dtype=dtype)
            scores[-1] = tiny
            for mimetype in (JSON, JSONLINES, CSV):
                frame = pd.DataFrame({"score": scores})
                want = REGISTRY.encode(frame, (MediaType(mimetype),), JSON)
                assert column_body("score", scores, mimetype) == want.body
        # What the codecs write as null or refuse: left to them.
        for odd in (np.nan, np.inf):
            scores = np.full(size, 2.0, dtype=dtype)
            scores[-1] = odd
            assert column_body("score", scores, JSON) is None
