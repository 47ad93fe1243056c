"""POST /invocations answers the same through the fast path as through the Flask view;
scripts still read flask.request there, inferline's own stages run without its context."""

from __future__ import annotations

import importlib
import io
from pathlib import Path

import pytest
from werkzeug.test import Client, TestResponse

from inferline import stages
from inferline.containers.app import (
    CONTEXT_FREE_STAGES,
    FastInvocations,
    create_app,
    reads_flask_request,
)
from inferline.containers.core.settings import Settings
from tests import abalone
from tests.echo import echo_model  # noqa: F401  # a fixture

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


def test_a_script_reads_flask_request_through_the_fast_path(
    echo_model: Path,  # noqa: F811  # the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ECHO_NAME", "one")
    monkeypatch.setenv("ECHO_STATE", str(tmp_path))
    settings = Settings(model_dir=echo_model)
    app = create_app(stages.load(None, echo_model, settings), settings)
    assert isinstance(app.wsgi_app, FastInvocations) and app.wsgi_app.request_context
    headers = {"Content-Type": "text/plain", "X-Amzn-SageMaker-Custom-Attributes": "a=1"}
    fast = Client(app).post("/invocations", data="hello", headers=headers)
    flask = Client(app.wsgi_app.app).post("/invocations", data="hello", headers=headers)
    same(fast, flask)
    assert fast.status_code == 200
    assert fast.data.decode().splitlines() == ["hello", "one attributes=a=1 private="]


def test_inferline_stages_skip_the_request_context(featurizer_dir: Path) -> None:
    settings = Settings(model_dir=featurizer_dir)
    stage = stages.load(None, featurizer_dir, settings)
    assert not reads_flask_request(stage)
    fast = create_app(stage, settings).wsgi_app
    assert isinstance(fast, FastInvocations) and not fast.request_context


@pytest.mark.parametrize("name", sorted(CONTEXT_FREE_STAGES))
def test_each_context_free_stage_is_a_class_of_that_name(name: str) -> None:
    module, _, qualname = name.rpartition(".")
    kind = getattr(importlib.import_module(module), qualname)
    assert isinstance(kind, type) and f"{kind.__module__}.{kind.__qualname__}" == name
