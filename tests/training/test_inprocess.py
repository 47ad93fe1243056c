"""The in-process runner answers every example pipeline exactly as the HTTP chain does.

Both run the same CreateModel file: once as real `inferline serve` processes behind
the harness, once as stages loaded in this process. Every sample request, and every
kind of refused request, must give the same bytes, Content-Type and error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from inferline.containers.core import definition
from inferline.containers.core.errors import InvocationError, ModelError
from inferline.containers.harness.local import LocalEndpoint
from inferline.containers.pipeline import Request, Result
from inferline.containers.pipeline.inprocess import InProcessPipeline
from inferline.training import outputs, samples
from inferline.training.examples import EXAMPLES, Trained

# Requests every pipeline must refuse, and where: the first container cannot read the
# body or its type, the last cannot produce the Accept.
REFUSED = {
    "empty body": Request(b"", "text/csv"),
    "unreadable type": Request(b"1,2,3", "application/x-unknown"),
    "bad accept": Request(b"x", "text/csv", accept="application/x-unknown"),
    "not utf-8": Request(b"\xff\xfe\x00,1", "text/csv"),
}


def outcome(run: Callable[[Request], Result], request: Request) -> tuple[object, ...]:
    """What a client can observe: the answer, or the error's code, status and message."""
    try:
        result = run(request)
    except ModelError as error:
        return (
            "ModelError",
            error.original_status,
            error.original_message,
            sorted(error.latencies),
        )
    except InvocationError as error:
        return (type(error).__name__, error.status, error.message)
    return ("ok", result.body, result.content_type, sorted(result.latencies))


@pytest.fixture(params=sorted(EXAMPLES))
def both(
    request: pytest.FixtureRequest, trained: Callable[[str], Trained]
) -> Iterator[tuple[Trained, LocalEndpoint, InProcessPipeline]]:
    example = trained(request.param)
    spec = definition.load(example.out / outputs.PIPELINE)
    with (
        LocalEndpoint(spec) as endpoint,
        InProcessPipeline.load(spec.variants[0].model) as pipeline,
    ):
        yield example, endpoint, pipeline


def test_inprocess_answers_byte_for_byte_as_http(
    both: tuple[Trained, LocalEndpoint, InProcessPipeline],
) -> None:
    example, endpoint, pipeline = both

    def over_http(request: Request) -> Result:
        return endpoint.endpoint.invoke(request)[1]

    requests = [
        Request(sample.body.encode(), sample.content_type, sample.accept)
        for sample in samples.load(example.out)
    ]
    requests += list(REFUSED.values())
    outcomes = [(outcome(over_http, r), outcome(pipeline.invoke, r)) for r in requests]
    for (http, inprocess), request in zip(outcomes, requests, strict=True):
        assert inprocess == http, request
    answered = [http for http, _ in outcomes if http[0] == "ok"]
    assert len(answered) == len(samples.load(example.out))  # the samples did succeed
    assert all(http[0] == "ModelError" for http, _ in outcomes[len(answered) :])


def test_inprocess_reports_each_container_and_its_latency(
    trained: Callable[[str], Trained],
) -> None:
    example = trained("car-evaluation")
    model = definition.load(example.out / outputs.PIPELINE).variants[0].model
    sample = samples.load(example.out)[0]
    with InProcessPipeline.load(model) as pipeline:
        result = pipeline.invoke(Request(sample.body.encode(), sample.content_type, sample.accept))
        parameters = pipeline.execution_parameters()
    assert list(result.latencies) == [container.hostname for container in model.containers]
    assert all(micros > 0 for micros in result.latencies.values())
    assert samples.matches(samples.parse(result.body, result.content_type), sample.expected)
    assert parameters["BatchStrategy"] in ("MULTI_RECORD", "SINGLE_RECORD")
