"""The hostile corpus against the harness endpoint (LocalEndpoint), one per stage kind.

Through the front door a container's refusal is SageMaker's 424 ModelError (its
OriginalStatusCode the container's 4xx), and a body over InvokeEndpoint's 6 MB, a head
over 16 KB and malformed HTTP are the front door's own 4xx (containers/harness/
frontdoor.py). Each is answered as JSON with a message, none is a 5xx, and the
endpoint serves a good request after.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from inferline import stages
from inferline.containers.core import definition
from inferline.containers.core.errors import error_for_status
from inferline.containers.harness import LocalEndpoint
from tests.conformance.examples import EXAMPLES, Example
from tests.hostile.corpus import Hostile, corpus
from tests.hostile.send import Outcome, send

KINDS = sorted(stages.kinds())
# Answered by the harness's front door itself (cheroot), before the endpoint's app sees
# them, with the status of each: as JSON in the shape of every other error.
FRONT_DOOR_REFUSALS = {
    "a 64 KB header": 431,
    "a 64 KB Content-Type": 431,
    "far over the limit (declared 100 MB)": 413,
    "bad chunk size": 400,
    "request line of garbage": 400,
}
# The process runtime runs the toolkit's own images; a kind without one of its own is
# served by the sklearn image with INFERLINE_STAGE naming it (as `inferline serve` is).
IMAGES = {
    kind: f"inferline-{kind}" if kind in ("sklearn", "sparkml", "xgboost") else "inferline-sklearn"
    for kind in KINDS
}


@pytest.fixture(scope="module", params=KINDS)
def endpoint(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Example, LocalEndpoint]]:
    kind: str = request.param
    model_dir = tmp_path_factory.mktemp(kind)
    example = EXAMPLES[kind](model_dir)
    document = {
        "ModelName": f"hostile-{kind}",
        "Containers": [
            {
                "Image": IMAGES[kind],
                "ModelDataUrl": str(model_dir),
                "Environment": {
                    **example.environ,
                    "INFERLINE_STAGE": kind,
                    "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
                },
            }
        ],
    }
    with LocalEndpoint(definition.parse(document)) as served:
        yield kind, example, served


def expected_at_the_endpoint(hostile: Hostile) -> frozenset[int] | None:
    """A container's 4xx arrives as a 424 ModelError; the rest as the container says."""
    if hostile.expect is None:
        return None
    if any(400 <= status < 500 for status in hostile.expect):
        return hostile.expect | {424}
    return hostile.expect


def answered_as_expected(outcome: Outcome, expect: frozenset[int] | None) -> bool:
    if expect is None:
        return True
    if outcome.status not in expect:
        return False
    is_refusal = outcome.status is not None and 400 <= outcome.status < 500
    return not is_refusal or bool(outcome.error and outcome.message)


def _routed(hostile: Hostile, route: str) -> tuple[Hostile, str]:
    raw = hostile.raw and hostile.raw.replace(b" /invocations ", f" {route}/invocations ".encode())
    routed = replace(hostile, raw=raw, expect=expected_at_the_endpoint(hostile))
    return routed, route if hostile.raw is None else ""


@pytest.mark.parametrize("name", FRONT_DOOR_REFUSALS)
def test_the_front_door_refuses_malformed_http_as_json(
    endpoint: tuple[str, Example, LocalEndpoint], name: str
) -> None:
    kind, example, served = endpoint
    [hostile] = [h for h in corpus(example.requests) if h.name == name]
    route = f"/endpoints/{served.name}"
    routed, prefix = _routed(hostile, route)
    outcome = send(served.port, routed, path_prefix=prefix)
    status = FRONT_DOOR_REFUSALS[name]
    assert outcome.status == status, outcome
    assert outcome.content_type == "application/json", outcome
    assert outcome.error == error_for_status(status).__name__, outcome
    assert outcome.message, outcome
    # The front door closed that connection; a new one is served as before.
    content_type, body = next(iter(example.requests.items()))
    good = send(served.port, Hostile("good", "good", content_type, body), path_prefix=route)
    assert good.status == 200, (kind, good)


def test_every_hostile_request_gets_a_4xx_from_the_endpoint(
    endpoint: tuple[str, Example, LocalEndpoint], tmp_path: Path
) -> None:
    kind, example, served = endpoint
    route = f"/endpoints/{served.name}"
    wrong = []
    for hostile in corpus(example.requests):
        routed, prefix = _routed(hostile, route)
        outcome = send(served.port, routed, path_prefix=prefix)
        if not answered_as_expected(outcome, routed.expect):
            wrong.append(f"{hostile.name}: {outcome}")
    assert not wrong, f"{kind} endpoint: {len(wrong)}:\n" + "\n".join(wrong)
    for content_type, body in example.requests.items():
        good = send(served.port, Hostile("good", "good", content_type, body), path_prefix=route)
        assert good.status == 200, (content_type, good)
