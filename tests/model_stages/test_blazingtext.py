"""The blazingtext stage answers as SageMaker's BlazingText text classifier does."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import requests
from flask.testing import FlaskClient
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages.blazingtext import BlazingTextStage, label_of, load, save
from tests.model_stages.conftest import dbpedia
from tests.servers import ServerProcess

Client = Callable[..., FlaskClient]
TEXTS, LABELS = dbpedia()
SENTENCES = [
    "Berwick Secondary College is a public high school in Victoria Australia for students.",
    "The Boeing 747 is a wide-body airliner built by an American aircraft manufacturer.",
]


@pytest.fixture(scope="module")
def classifier_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("blazingtext")
    model = make_pipeline(TfidfVectorizer(sublinear_tf=True), LogisticRegression(max_iter=300))
    save(model.fit(TEXTS, LABELS), model_dir)
    return model_dir


@pytest.fixture(scope="module")
def stage(classifier_dir: Path) -> BlazingTextStage:
    return load(classifier_dir, Settings())


def post(
    client: FlaskClient,
    body: str,
    content_type: str = "application/json",
    accept: str | None = None,
) -> tuple[int, bytes, str]:
    headers = {"Content-Type": content_type, **({"Accept": accept} if accept else {})}
    response = client.post("/invocations", data=body, headers=headers)
    return response.status_code, response.data, response.headers["Content-Type"]


def ranked(model: Pipeline, sentence: str) -> tuple[list[str], list[float]]:
    """Every class and its probability, best first, from the model itself."""
    probabilities = model.predict_proba([sentence])[0]
    order = np.argsort(-probabilities, kind="stable")
    return [label_of(model.classes_[i]) for i in order], probabilities[order].tolist()


def test_json_instances_get_the_top_label_as_a_list(
    stage: BlazingTextStage, client: Client
) -> None:
    status, answer, answer_type = post(client(stage), json.dumps({"instances": SENTENCES}))
    assert (status, answer_type) == (200, "application/json")
    results = json.loads(answer)
    assert isinstance(results, list) and len(results) == 2
    for sentence, result in zip(SENTENCES, results, strict=True):
        labels, probs = ranked(stage.classifier, sentence)
        assert result == {"label": labels[:1], "prob": probs[:1]}
    assert results[0]["label"] == ["__label__EducationalInstitution"]
    assert results[1]["label"] == ["__label__MeanOfTransportation"]


def test_configuration_k_gives_the_top_k_best_first(
    stage: BlazingTextStage, client: Client
) -> None:
    body = json.dumps({"instances": SENTENCES, "configuration": {"k": 3}})
    results = json.loads(post(client(stage), body)[1])
    for sentence, result in zip(SENTENCES, results, strict=True):
        labels, probs = ranked(stage.classifier, sentence)
        assert result == {"label": labels[:3], "prob": probs[:3]}
        assert result["prob"] == sorted(result["prob"], reverse=True)
    every = json.loads(
        post(client(stage), json.dumps({"instances": SENTENCES[:1], "configuration": {"k": 500}}))[
            1
        ]
    )
    assert len(every[0]["label"]) == len(set(LABELS)) == 14
    assert sum(every[0]["prob"]) == pytest.approx(1.0)


def test_jsonlines_sources_with_their_own_k(stage: BlazingTextStage, client: Client) -> None:
    body = "\n".join(
        [json.dumps({"source": SENTENCES[0]}), json.dumps({"source": SENTENCES[1], "k": 2})]
    )
    status, answer, answer_type = post(
        client(stage), body, "application/jsonlines", accept="application/jsonlines"
    )
    assert (status, answer_type) == (200, "application/jsonlines")
    lines = [json.loads(line) for line in answer.decode().splitlines()]
    assert [len(line["label"]) for line in lines] == [1, 2]
    assert lines[1]["label"] == ranked(stage.classifier, SENTENCES[1])[0][:2]


def test_tokenized_sources_from_a_spark_tokenizer_classify_too(
    stage: BlazingTextStage, client: Client
) -> None:
    tokens = SENTENCES[0].lower().replace(".", "").split()
    body = json.dumps({"source": " ".join(tokens)})
    result = json.loads(post(client(stage), body, "application/jsonlines")[1])
    assert result[0]["label"] == ["__label__EducationalInstitution"]


@pytest.mark.parametrize(
    ("body", "content_type", "status", "words"),
    [
        ('{"instances": "one sentence"}', "application/json", 400, '{"instances": ["sentence"'),
        (
            '{"instances": ["a"], "configuration": {"k": 0}}',
            "application/json",
            400,
            "configuration.k must be a whole number of at least 1, got 0",
        ),
        ('{"instances": [3]}', "application/json", 400, "instance 1: expected a sentence"),
        ('{"source": "a"}\n{"text": "b"}', "application/jsonlines", 400, "line 2"),
        ('{"source": "a", "k": "2"}', "application/jsonlines", 400, "line 1: k must be"),
        ("a sentence", "text/csv", 415, "application/json, application/jsonlines"),
        ("", "application/json", 400, "request body is empty"),
    ],
)
def test_bad_requests_get_json_errors_and_the_server_keeps_serving(
    stage: BlazingTextStage, client: Client, body: str, content_type: str, status: int, words: str
) -> None:
    app = client(stage)
    got, answer, answer_type = post(app, body, content_type)
    assert (got, answer_type) == (status, "application/json")
    assert words in json.loads(answer)["message"]
    assert post(app, json.dumps({"instances": SENTENCES}))[0] == 200


def test_no_instances_get_no_answers(stage: BlazingTextStage, client: Client) -> None:
    assert post(client(stage), '{"instances": []}')[:2] == (200, b"[]")


def test_csv_answers_are_not_acceptable(stage: BlazingTextStage, client: Client) -> None:
    status, answer, _ = post(client(stage), json.dumps({"instances": SENTENCES}), accept="text/csv")
    assert status == 406 and "application/jsonlines" in json.loads(answer)["message"]


def test_save_refuses_models_without_probabilities(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="predict_proba"):
        save(LinearRegression().fit([[0.0], [1.0]], [0.0, 1.0]), tmp_path)
    assert label_of("__label__Artist") == "__label__Artist" == label_of("Artist")


def test_a_real_server_in_blazingtext_mode(classifier_dir: Path, tmp_path: Path) -> None:
    env = {"INFERLINE_STAGE": "blazingtext"}
    with ServerProcess.start(classifier_dir, tmp_path / "server.log", env=env) as server:
        response = requests.post(
            server.url + "/invocations",
            data=json.dumps({"instances": SENTENCES, "configuration": {"k": 2}}),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 200
        assert [r["label"][0] for r in response.json()] == [
            "__label__EducationalInstitution",
            "__label__MeanOfTransportation",
        ]
