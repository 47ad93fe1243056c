"""The contract every stage kind honours, checked the same way for each (as scikit-learn's
`parametrize_with_checks` runs one battery over every estimator).

Each check runs once per registered kind (conftest.py) on the kind's example model
(examples.py): it loads from a directory and from a model.tar.gz, answers every
Content-Type it declares, refuses malformed and unfitting bodies with a 4xx
`ServingError`, answers /execution-parameters, and answers the same twice, a hundred
times over, with refused requests in between.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.app import create_app
from inferline.containers.core import archive, modeldir
from inferline.containers.core.errors import ServingError
from inferline.containers.core.invocation import Answer, Invocation, Stage
from inferline.containers.core.media import MediaType
from inferline.stages.kind import Kind
from tests.conformance.conftest import REGISTERED, Model, no_example
from tests.conformance.examples import EXAMPLES

UNDECLARED = "application/x-inferline-undeclared"
# Bodies no codec can make sense of; each declared type must refuse them as a client error.
MALFORMED = (b"\xff\xfe\x00{[ not a body", b"\x00\x01\x02", b"}{")
# Bodies with nothing in them: refused, or answered 204 No Content (SageMaker's XGBoost
# container answers an empty body so, and the xgboost kind follows it).
EMPTY = (b"", b"\n\n")
ROUNDS = 100
DEFAULTS = {"MaxConcurrentTransforms": 2, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}


def invoke(stage: Stage, content_type: str, body: bytes) -> Answer:
    return stage.invoke(Invocation(body, MediaType.parse(content_type)))


def refused(stage: Stage, content_type: str, body: bytes) -> ServingError:
    """The error `stage` raises for `body`, which must be ours and the client's fault."""
    with pytest.raises(ServingError) as raised:
        invoke(stage, content_type, body)
    error = raised.value
    assert 400 <= error.status < 500, (
        f"{type(error).__name__} ({error.status}) for {body[:40]!r} as {content_type}: "
        "a bad body is the client's 4xx"
    )
    return error


@pytest.mark.parametrize("registered", REGISTERED, ids=lambda kind: kind.name)
def test_every_registered_kind_provides_an_example_model(registered: Kind) -> None:
    assert registered.name in EXAMPLES, no_example(registered)


def test_the_examples_are_of_registered_kinds() -> None:
    assert set(EXAMPLES) <= set(stages.kinds()), "an example for a kind no one registers"


def test_the_example_covers_each_declared_content_type(model: Model) -> None:
    assert model.kind.content_types, f"{model.kind.name} declares no content type"
    assert set(model.example.requests) == set(model.kind.content_types)


def test_detection_finds_the_kind_or_it_is_named_only(model: Model, tmp_path: Path) -> None:
    kind = model.kind
    if kind.recognises is not None:
        assert kind.recognises(model.model_dir)
        assert stages.detect(model.model_dir) == kind.name
        assert kind.looks_for, f"{kind.name} recognises directories but says not how"
        assert not kind.recognises(tmp_path), f"{kind.name} recognises an empty directory"
        assert not kind.recognises(tmp_path / "missing")


def test_loads_from_a_directory_and_from_a_model_tar_gz(
    model: Model, stage: Stage, tmp_path: Path
) -> None:
    packed = archive.write(model.model_dir, tmp_path / "model.tar.gz")
    extracted = modeldir.resolve(packed, extract_to=tmp_path / "extracted")
    from_archive = stages.load(model.kind.name, extracted, model.settings)
    for content_type, body in model.example.requests.items():
        assert invoke(from_archive, content_type, body) == invoke(stage, content_type, body)


def test_answers_each_declared_content_type(model: Model, stage: Stage) -> None:
    for content_type, body in model.example.requests.items():
        answer = invoke(stage, content_type, body)
        assert answer.status == 200, content_type
        assert answer.body, f"empty answer to {content_type}"
        assert answer.content_type == MediaType.parse(answer.content_type).mimetype, (
            f"answer type {answer.content_type!r} to {content_type} is not a bare MIME type"
        )


def test_every_undeclared_content_type_is_415(stage: Stage, model: Model) -> None:
    """The declaration is exact: what another kind reads, this one refuses unless declared."""
    known = {UNDECLARED, *(t for kind in REGISTERED for t in kind.content_types)}
    body = next(iter(model.example.requests.values()))
    for content_type in sorted(known - set(model.kind.content_types)):
        assert refused(stage, content_type, body).status == 415, content_type


def test_malformed_bodies_are_refused_with_a_4xx(model: Model, stage: Stage) -> None:
    for content_type in model.kind.content_types:
        for body in MALFORMED:
            refused(stage, content_type, body)


def test_empty_bodies_are_refused_or_answered_with_no_content(model: Model, stage: Stage) -> None:
    for content_type in model.kind.content_types:
        for body in EMPTY:
            try:
                answer = invoke(stage, content_type, body)
            except ServingError as error:
                assert 400 <= error.status < 500, f"{type(error).__name__} for an empty body"
            else:
                assert (answer.status, answer.body) == (204, b""), (
                    f"an empty {content_type} body answered {answer.status} {answer.body[:40]!r}"
                )


def test_bodies_that_do_not_fit_the_model_are_refused_with_a_4xx(
    model: Model, stage: Stage
) -> None:
    assert model.example.bad, f"the {model.kind.name} example has no unfitting body to send"
    for content_type, body in model.example.bad:
        refused(stage, content_type, body)


def test_the_app_answers_a_refused_body_as_json_naming_the_error(
    model: Model, stage: Stage
) -> None:
    content_type, body = model.example.bad[0]
    expected = refused(stage, content_type, body)
    client = create_app(stage, model.settings).test_client()
    response = client.post("/invocations", data=body, headers={"Content-Type": content_type})
    assert response.status_code == expected.status
    assert response.json is not None and response.json["error"] == type(expected).__name__
    assert client.get("/ping").status_code == 200, "the server keeps serving"


def test_answers_execution_parameters(stage: Stage) -> None:
    parameters = stage.execution_parameters(DEFAULTS)  # type: ignore[arg-type]
    assert set(parameters) == set(DEFAULTS)
    assert parameters["BatchStrategy"] in ("MULTI_RECORD", "SINGLE_RECORD")
    assert isinstance(parameters["MaxConcurrentTransforms"], int)
    assert parameters["MaxConcurrentTransforms"] >= 1
    assert isinstance(parameters["MaxPayloadInMB"], int)
    assert 0 <= parameters["MaxPayloadInMB"] <= 100


def test_a_hundred_rounds_answer_the_same_with_refusals_between(model: Model, stage: Stage) -> None:
    """No state leaks between invocations: not from an answer, not from a refusal."""
    requests = model.example.requests
    first = {
        content_type: invoke(stage, content_type, body) for content_type, body in requests.items()
    }
    bad_type, bad_body = model.example.bad[0]
    for _ in range(ROUNDS):
        for content_type, body in requests.items():
            assert invoke(stage, content_type, body) == first[content_type], content_type
        refused(stage, bad_type, bad_body)
