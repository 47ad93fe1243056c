"""The linear-learner stage answers as SageMaker's Linear Learner, from scikit-learn models."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import requests
from flask.testing import FlaskClient
from sklearn.linear_model import LinearRegression, LogisticRegression, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages import load as load_stage
from inferline.stages.linear_learner import LinearLearnerStage, load, save
from tests.model_stages.conftest import (
    abalone_numbers,
    post,
    sagemaker_labels,
    sagemaker_recordio,
)
from tests.servers import ServerProcess

Client = Callable[..., FlaskClient]
FEATURES, RINGS, SEX = abalone_numbers()
ROWS = FEATURES[:3]


@pytest.fixture(scope="module")
def regressor_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("linear-learner")
    save(make_pipeline(StandardScaler(), LinearRegression()).fit(FEATURES, RINGS), model_dir)
    return model_dir


@pytest.fixture(scope="module")
def regressor(regressor_dir: Path) -> LinearLearnerStage:
    return load(regressor_dir, Settings())


def instances(rows: np.ndarray) -> str:
    return json.dumps({"instances": [{"features": row} for row in rows.tolist()]})


def test_regressor_scores_every_request_shape_alike(
    regressor: LinearLearnerStage, client: Client
) -> None:
    want = regressor.estimator.predict(ROWS).tolist()
    rows = ROWS.tolist()
    requests_by_type = {
        "application/json": [
            instances(ROWS),
            json.dumps({"instances": [{"data": {"features": {"values": r}}} for r in rows]}),
            json.dumps(rows),
        ],
        "application/jsonlines": ["\n".join(json.dumps({"features": r}) for r in rows)],
        "text/csv": ["\n".join(",".join(map(str, r)) for r in rows)],
    }
    app = client(regressor)
    for content_type, bodies in requests_by_type.items():
        for body in bodies:
            status, answer, answer_type = post(app, body, content_type)
            assert (status, answer_type) == (200, "application/json")
            assert json.loads(answer) == {"predictions": [{"score": s} for s in want]}


def test_sparse_records_fill_absent_keys_with_zero(
    regressor: LinearLearnerStage, client: Client
) -> None:
    sparse = {"data": {"features": {"keys": [0, 6], "shape": [7], "values": [0.5, 0.2]}}}
    _, answer, _ = post(client(regressor), json.dumps({"instances": [sparse]}))
    dense = np.array([[0.5, 0, 0, 0, 0, 0, 0.2]])
    assert json.loads(answer)["predictions"][0]["score"] == pytest.approx(
        regressor.estimator.predict(dense)[0]
    )


def test_jsonlines_and_csv_answers(regressor: LinearLearnerStage, client: Client) -> None:
    want = regressor.estimator.predict(ROWS).tolist()
    app = client(regressor)
    status, answer, answer_type = post(app, instances(ROWS), accept="application/jsonlines")
    assert (status, answer_type) == (200, "application/jsonlines")
    assert [json.loads(line) for line in answer.splitlines()] == [{"score": s} for s in want]
    _, answer, answer_type = post(app, instances(ROWS), accept="text/csv")
    assert answer_type == "text/csv"
    assert answer.decode() == "".join(f"{s}\n" for s in want)


def test_binary_classifier_scores_the_probability_of_class_one(client: Client) -> None:
    labels = (RINGS > 9).astype(int)
    model = LogisticRegression(max_iter=1000).fit(FEATURES, labels)
    _, answer, _ = post(client(LinearLearnerStage(model)), instances(ROWS))
    predictions = json.loads(answer)["predictions"]
    assert [p["score"] for p in predictions] == pytest.approx(model.predict_proba(ROWS)[:, 1])
    assert [p["predicted_label"] for p in predictions] == model.predict(ROWS).tolist()


def test_multiclass_scores_are_vectors_and_hinge_models_give_raw_scores(client: Client) -> None:
    model = LogisticRegression(max_iter=1000).fit(FEATURES, SEX)
    _, answer, _ = post(client(LinearLearnerStage(model)), instances(ROWS))
    predictions = json.loads(answer)["predictions"]
    assert np.allclose([p["score"] for p in predictions], model.predict_proba(ROWS))
    assert [p["predicted_label"] for p in predictions] == model.predict(ROWS).tolist()

    hinge = SGDClassifier(loss="hinge", random_state=0).fit(FEATURES, (RINGS > 9).astype(int))
    _, answer, _ = post(client(LinearLearnerStage(hinge)), instances(ROWS))
    scores = [p["score"] for p in json.loads(answer)["predictions"]]
    assert scores == pytest.approx(hinge.decision_function(ROWS))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        (
            '{"instances": [{"features": [1, 2]}]}',
            "application/json",
            422,
            "expected 7 features per row, got 2",
        ),
        (
            '{"instances": [{"features": [1, 2, 3, 4, 5, 6, "x"]}]}',
            "application/json",
            422,
            "row 1, feature 6: 'x'",
        ),
        ('{"instances": [{"features": 3}]}', "application/json", 400, "must be a list"),
        (
            '{"instances": [{"data": {"features": {"keys": [9], "shape": [7], "values": [1]}}}]}',
            "application/json",
            400,
            "key 9 is outside shape [7]",
        ),
        (
            '{"features": [1, 2, 3, 4, 5, 6, 7]}\n{"features": [1',
            "application/jsonlines",
            400,
            "line 2",
        ),
        ("", "application/json", 400, "request body is empty"),
    ],
)
def test_bad_requests_get_json_errors_and_the_server_keeps_serving(
    regressor: LinearLearnerStage,
    client: Client,
    body: str,
    content_type: str,
    status: int,
    words: str,
) -> None:
    app = client(regressor)
    got, answer, answer_type = post(app, body, content_type)
    assert (got, answer_type) == (status, "application/json")
    assert words in json.loads(answer)["message"]
    assert post(app, instances(ROWS))[0] == 200


def test_no_instances_get_no_predictions(regressor: LinearLearnerStage, client: Client) -> None:
    assert post(client(regressor), '{"instances": []}')[:2] == (200, b'{"predictions":[]}')


def test_save_refuses_what_cannot_predict(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="no predict"):
        save(StandardScaler().fit(FEATURES), tmp_path)
    assert not list(tmp_path.iterdir())


def test_a_real_server_in_linear_learner_mode(regressor_dir: Path, tmp_path: Path) -> None:
    assert isinstance(load_stage("linear-learner", regressor_dir, Settings()), LinearLearnerStage)
    model = load(regressor_dir, Settings()).estimator
    env = {"INFERLINE_STAGE": "linear-learner"}
    with ServerProcess.start(regressor_dir, tmp_path / "server.log", env=env) as server:
        response = requests.post(
            server.url + "/invocations",
            data=instances(ROWS),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 200
        scores = [p["score"] for p in response.json()["predictions"]]
        assert scores == pytest.approx(model.predict(ROWS))


def test_models_fitted_on_named_columns_get_their_names_back(client: Client) -> None:
    named = pd.DataFrame(FEATURES, columns=[f"x{i}" for i in range(7)])
    model = LinearRegression().fit(named, RINGS)
    _, answer, _ = post(client(LinearLearnerStage(model)), instances(ROWS))
    scores = [p["score"] for p in json.loads(answer)["predictions"]]
    assert scores == pytest.approx(model.predict(named.head(3)))


def test_recordio_protobuf_in_and_out_as_the_sagemaker_sdk_speaks_it(client: Client) -> None:
    """The SDK's LinearLearnerPredictor sends and accepts RecordIO-protobuf by default."""
    labels = (RINGS > 9).astype(int)
    model = LogisticRegression(max_iter=1000).fit(FEATURES, labels)
    app = client(LinearLearnerStage(model))
    body = sagemaker_recordio(ROWS.astype(np.float32))
    status, answer, answer_type = post(
        app, body, "application/x-recordio-protobuf", accept="application/x-recordio-protobuf"
    )
    assert (status, answer_type) == (200, "application/x-recordio-protobuf")
    records = sagemaker_labels(answer)
    rows = ROWS.astype(np.float32)
    assert [r["score"][0] for r in records] == pytest.approx(model.predict_proba(rows)[:, 1])
    assert [r["predicted_label"] for r in records] == [[float(c)] for c in model.predict(rows)]

    multiclass = LinearLearnerStage(LogisticRegression(max_iter=1000).fit(FEATURES, SEX))
    answer = post(
        client(multiclass),
        body,
        "application/x-recordio-protobuf",
        accept="application/x-recordio-protobuf",
    )[1]
    assert [len(r["score"]) for r in sagemaker_labels(answer)] == [3, 3, 3]


def test_recordio_answers_need_numeric_labels(client: Client) -> None:
    names = np.array(["young", "old"])[(RINGS > 9).astype(int)]
    model = LogisticRegression(max_iter=1000).fit(FEATURES, names)
    status, answer, _ = post(
        client(LinearLearnerStage(model)), instances(ROWS), accept="application/x-recordio-protobuf"
    )
    assert status == 406 and "accept application/json" in json.loads(answer)["message"]
