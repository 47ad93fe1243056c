"""The blazingtext stage serves BlazingText's model.bin (fastText's binary format) and
answers as SageMaker's BlazingText text classifier does: what fastText's own `predict`
gives for the same file."""

from __future__ import annotations

import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import fasttext  # type: ignore[import-untyped]  # ships no py.typed marker or stubs
import pytest
import requests
from flask.testing import FlaskClient

from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages import detect
from inferline.stages.blazingtext import BlazingTextStage, label_of, load, save, train
from inferline.stages.blazingtext.kind import FASTTEXT_MAGIC, MODEL_FILE, recognises
from tests.model_stages.conftest import dbpedia, post
from tests.servers import ServerProcess

Client = Callable[..., FlaskClient]
TEXTS, LABELS = dbpedia()
SENTENCES = [
    "Berwick Secondary College is a public high school in Victoria Australia for students.",
    "The Boeing 747 is a wide-body airliner built by an American aircraft manufacturer.",
]


def tokens(text: str) -> str:
    """What a Spark ML Tokenizer sends BlazingText: lower-cased, space-separated words."""
    return " ".join(text.lower().replace(".", " ").split())


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BlazingText's supervised mode on DBpedia abstracts: a real fastText model.bin."""
    model_dir = tmp_path_factory.mktemp("blazingtext")
    model = train([tokens(text) for text in TEXTS], LABELS, epoch=25, lr=0.5, thread=1, seed=1)
    save(model, model_dir)
    return model_dir


@pytest.fixture(scope="module")
def reference(model_dir: Path) -> fasttext.FastText._FastText:
    """The same file, loaded by fastText itself: the answers to match."""
    return fasttext.load_model(str(model_dir / MODEL_FILE))


@pytest.fixture(scope="module")
def stage(model_dir: Path) -> BlazingTextStage:
    return load(model_dir, Settings())


def fasttext_answer(
    model: fasttext.FastText._FastText, sentence: str, k: int
) -> dict[str, list[object]]:
    labels, probs = model.predict(sentence, k=k)
    return {"label": list(labels), "prob": probs.tolist()}


def test_a_model_tar_gz_holding_model_bin_is_detected_as_blazingtext(
    model_dir: Path, tmp_path: Path
) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:  # as BlazingText's training job writes it
        tar.add(model_dir / MODEL_FILE, arcname=MODEL_FILE)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(archive) as tar:
        tar.extractall(unpacked, filter="data")
    assert detect(unpacked) == "blazingtext"
    assert (unpacked / MODEL_FILE).read_bytes()[:4] == FASTTEXT_MAGIC


def test_a_model_bin_that_is_not_fasttext_is_not_taken_for_one(tmp_path: Path) -> None:
    (tmp_path / MODEL_FILE).write_bytes(b"\x00\x01 some other tool's weights")
    assert not recognises(tmp_path)
    with pytest.raises(ModelLoadError, match="fastText cannot read .*wrong file format"):
        load(tmp_path, Settings())


def test_json_instances_answer_what_fasttext_predicts(
    stage: BlazingTextStage, reference: fasttext.FastText._FastText, client: Client
) -> None:
    sentences = [tokens(sentence) for sentence in SENTENCES]
    status, answer, answer_type = post(client(stage), json.dumps({"instances": sentences}))
    assert (status, answer_type) == (200, "application/json")
    results = json.loads(answer)
    assert results == [fasttext_answer(reference, sentence, 1) for sentence in sentences]
    assert [result["label"] for result in results] == [
        ["__label__EducationalInstitution"],
        ["__label__MeanOfTransportation"],
    ]


def test_configuration_k_gives_fasttexts_top_k_best_first(
    stage: BlazingTextStage, reference: fasttext.FastText._FastText, client: Client
) -> None:
    sentences = [tokens(sentence) for sentence in SENTENCES]
    body = json.dumps({"instances": sentences, "configuration": {"k": 3}})
    results = json.loads(post(client(stage), body)[1])
    assert results == [fasttext_answer(reference, sentence, 3) for sentence in sentences]
    assert all(result["prob"] == sorted(result["prob"], reverse=True) for result in results)
    every = json.loads(
        post(client(stage), json.dumps({"instances": sentences[:1], "configuration": {"k": 500}}))[
            1
        ]
    )
    assert len(every[0]["label"]) == len(set(LABELS)) == 14
    assert sum(every[0]["prob"]) == pytest.approx(1.0, abs=1e-3)


def test_jsonlines_sources_with_their_own_k_as_batch_transform_sends_them(
    stage: BlazingTextStage, reference: fasttext.FastText._FastText, client: Client
) -> None:
    sources = [tokens(SENTENCES[0]), tokens(SENTENCES[1]), "an unseen zzzz qqqq"]
    body = "\n".join(
        [
            json.dumps({"source": sources[0]}),
            json.dumps({"source": sources[1], "k": 2}),
            json.dumps({"source": sources[2], "k": 4}),
        ]
    )
    status, answer, answer_type = post(
        client(stage), body, "application/jsonlines", accept="application/jsonlines"
    )
    assert (status, answer_type) == (200, "application/jsonlines")
    lines = [json.loads(line) for line in answer.decode().splitlines()]
    assert lines == [
        fasttext_answer(reference, sources[0], 1),
        fasttext_answer(reference, sources[1], 2),
        fasttext_answer(reference, sources[2], 4),
    ]


def test_raw_text_is_read_as_fasttext_reads_it(
    stage: BlazingTextStage, reference: fasttext.FastText._FastText, client: Client
) -> None:
    body = json.dumps({"instances": SENTENCES, "configuration": {"k": 2}})
    results = json.loads(post(client(stage), body)[1])
    assert results == [fasttext_answer(reference, sentence, 2) for sentence in SENTENCES]


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
        ('{"instances": ["a", "two\\nlines"]}', "application/json", 400, "instance 2: a sentence"),
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


def test_word2vec_models_are_refused_by_name(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(tokens(text) for text in TEXTS[:50]) + "\n")
    vectors = fasttext.train_unsupervised(
        str(corpus), model="skipgram", dim=10, epoch=1, minCount=1, thread=1, verbose=0
    )
    vectors.save_model(str(tmp_path / MODEL_FILE))  # BlazingText's Word2Vec mode writes this
    assert recognises(tmp_path)
    with pytest.raises(ModelLoadError, match="skipgram model .*text classification"):
        load(tmp_path, Settings())
    with pytest.raises(ModelLoadError, match="skipgram"):
        save(vectors, tmp_path / "again")
    assert label_of("__label__Artist") == "__label__Artist" == label_of("Artist")


def test_a_real_server_detects_and_serves_the_model_tar_gz(model_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "model.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(model_dir / MODEL_FILE, arcname=MODEL_FILE)
    with ServerProcess.start(archive, tmp_path / "server.log") as server:
        body = {"instances": [tokens(s) for s in SENTENCES], "configuration": {"k": 2}}
        response = requests.post(
            server.url + "/invocations",
            data=json.dumps(body),
            headers={"Content-Type": "application/json"},
            timeout=10,
        )
        assert response.status_code == 200
        assert [r["label"][0] for r in response.json()] == [
            "__label__EducationalInstitution",
            "__label__MeanOfTransportation",
        ]


def test_save_refuses_what_is_not_a_fasttext_classifier(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="is not a fastText model"):
        save({"a": "scikit-learn model, say"}, tmp_path)
    assert not (tmp_path / MODEL_FILE).exists()
