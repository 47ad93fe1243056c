"""POST /invocations answers the same through the fast path as through the Flask view."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from werkzeug.test import Client, TestResponse

from inferline import stages
from inferline.containers.app import FastInvocations, create_app
from inferline.containers.core.settings import Settings
from tests import abalone

REQUESTS = [
    ({"Content-Type": "text/csv", "Accept": "text/csv"}, abalone.SAMPLE),
    ({"Content-Type": "text/csv", "Accept": "application/json"}, abalone.SAMPLE),
    ({"Content-Type": "text/csv", "X-Amzn-SageMaker-Custom-Attributes": "a=1"}, abalone.SAMPLE),
    ({"Content-Type": "image/png"}, "x"),  # 415
    ({"Content-Type": "text/csv", "Accept": "image/png"}, abalone.SAMPLE),  # 406
    ({"Content-Type": "text/csv"}, "M,not,a,number"),  # the model's 4xx
]


@pytest.fixture(scope="module")
def clients(featurizer_dir: Path) -> tuple[Client, Client]:
    settings = Settings(model_dir=featurizer_dir, max_request_bytes=4096)
    app = create_app(stages.load(None, featurizer_dir, settings), settings)
    fast = app.wsgi_app
    assert isinstance(fast, FastInvocations)
    return Client(app), Client(fast.app)  # the app, and Flask's own WSGI app behind it


def same(fast: TestResponse, flask: TestResponse) -> None:
    assert fast.status == flask.status
    assert fast.data == flask.data
    assert sorted(fast.headers.items()) == sorted(flask.headers.items())


@pytest.mark.parametrize(("headers", "body"), REQUESTS)
def test_the_fast_path_answers_what_flask_answers(
    clients: tuple[Client, Client], headers: dict[str, str], body: str
) -> None:
    fast, flask = clients
    same(
        fast.post("/invocations", data=body, headers=headers),
        flask.post("/invocations", data=body, headers=headers),
    )


def test_bodies_over_the_limit_and_chunked_bodies_go_to_flask(
    clients: tuple[Client, Client],
) -> None:
    fast, flask = clients
    too_large = fast.post("/invocations", data="1," * 4096, headers={"Content-Type": "text/csv"})
    assert too_large.status_code == 413 and too_large.json is not None
    assert "limit" in too_large.json["message"]
    chunked = {"Content-Type": "text/csv", "Transfer-Encoding": "chunked"}
    same(
        fast.post(
            "/invocations", input_stream=io.BytesIO(abalone.SAMPLE.encode()), headers=chunked
        ),
        flask.post(
            "/invocations", input_stream=io.BytesIO(abalone.SAMPLE.encode()), headers=chunked
        ),
    )
