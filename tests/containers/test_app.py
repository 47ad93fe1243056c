"""The HTTP contract of one container, in process (Flask's test client)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from inferline import stages
from inferline.containers.app import create_app
from inferline.containers.core.settings import Settings
from tests import abalone


@pytest.fixture(scope="module")
def settings(featurizer_dir: Path) -> Settings:
    return Settings(model_dir=featurizer_dir, workers=3)


@pytest.fixture(scope="module")
def client(settings: Settings) -> FlaskClient:
    stage = stages.load(None, settings.model_dir, settings)
    return create_app(stage, settings).test_client()


def post(client: FlaskClient, body: bytes | str, content_type: str = "text/csv", **headers: str):  # type: ignore[no-untyped-def]
    return client.post("/invocations", data=body, headers={"Content-Type": content_type, **headers})


def error_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    assert response.headers["Content-Type"] == "application/json"
    document: dict[str, str] = json.loads(response.data)
    assert set(document) == {"error", "message"}
    return document


def test_ping_is_200_and_empty(client: FlaskClient) -> None:
    response = client.get("/ping")
    assert response.status_code == 200
    assert response.data == b""


def test_one_csv_row_gives_ten_features(client: FlaskClient) -> None:
    response = post(client, abalone.SAMPLE, Accept="text/csv")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv"
    values = response.data.decode().strip().split(",")
    assert len(values) == 10
    assert values[-3:] == ["0.0", "0.0", "1.0"]  # sex M one-hot


def test_default_accept_is_json_with_named_columns(client: FlaskClient) -> None:
    response = post(client, abalone.SAMPLE)
    assert response.headers["Content-Type"] == "application/json"
    row = json.loads(response.data)["predictions"][0]
    assert list(row)[:2] == ["num__length", "num__diameter"]
    assert row["cat__sex_M"] == 1.0


def test_sagemaker_default_accept_applies_when_the_client_states_none(featurizer_dir: Path) -> None:
    settings = Settings(model_dir=featurizer_dir, default_accept="text/csv")
    app = create_app(stages.load(None, featurizer_dir, settings), settings)
    for headers in ({}, {"Accept": "*/*"}):
        response = post(app.test_client(), abalone.SAMPLE, **headers)
        assert response.headers["Content-Type"] == "text/csv"


def test_execution_parameters_use_sagemaker_spelling(client: FlaskClient) -> None:
    response = client.get("/execution-parameters")
    assert response.json == {
        "MaxConcurrentTransforms": 3,
        "BatchStrategy": "MULTI_RECORD",
        "MaxPayloadInMB": 6,
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [("GET", "/nowhere", 404, "NotFound"), ("GET", "/invocations", 405, "MethodNotAllowed")],
)
def test_other_routes_answer_json(
    client: FlaskClient, method: str, path: str, status: int, error: str
) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert error_of(response)["error"] == error


@pytest.mark.parametrize(
    ("body", "content_type", "accept", "status", "error", "says"),
    [
        (b"M,0.44", "text/csv", "*/*", 422, "UnprocessableEntity", "expected 8 values"),
        (b"M,1,2,3,4,5,6,7\nF,1", "text/csv", "*/*", 400, "BadRequest", "row 2"),
        (b'{"instances": [', "application/json", "*/*", 400, "BadRequest", "malformed JSON"),
        (abalone.SAMPLE.encode(), "image/png", "*/*", 415, "UnsupportedMediaType", "image/png"),
        (abalone.SAMPLE.encode(), "", "*/*", 415, "UnsupportedMediaType", "Content-Type"),
        (abalone.SAMPLE.encode(), "text/csv", "image/png", 406, "NotAcceptable", "image/png"),
        (
            b"M,a,b,c,d,e,f,g",
            "text/csv",
            "*/*",
            422,
            "UnprocessableEntity",
            "cannot use this input",
        ),
        (b"", "text/csv", "*/*", 400, "BadRequest", "empty"),
    ],
)
def test_bad_input_gets_its_status_and_a_json_message(
    client: FlaskClient,
    body: bytes,
    content_type: str,
    accept: str,
    status: int,
    error: str,
    says: str,
) -> None:
    response = post(client, body, content_type, Accept=accept)
    assert response.status_code == status
    document = error_of(response)
    assert document["error"] == error
    assert says in document["message"]
    assert "Traceback" not in document["message"]
    assert post(client, abalone.SAMPLE).status_code == 200  # still serving


def test_body_over_the_limit_is_413(featurizer_dir: Path) -> None:
    settings = Settings(model_dir=featurizer_dir, max_request_bytes=1000)
    client = create_app(stages.load(None, featurizer_dir, settings), settings).test_client()
    response = post(client, (abalone.SAMPLE + "\n") * 100)
    assert response.status_code == 413
    assert error_of(response)["error"] == "PayloadTooLarge"
