"""The harness's InvokeEndpoint fast path (`endpoint.Invocations`) answers exactly as
Flask's view does: same status, headers and body, for results and for every error."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.test import Client

from inferline.containers.core import definition, protocol
from inferline.containers.harness import LocalEndpoint
from inferline.containers.harness.endpoint import Invocations, create_app
from inferline.containers.harness.metrics import Metrics
from tests.harness.conftest import chain_of


@pytest.fixture(scope="module")
def endpoint(plus: dict[int, Path]) -> Iterator[LocalEndpoint]:
    with LocalEndpoint(definition.parse(chain_of(plus[1], 2, name="pair"))) as local:
        yield local


@pytest.fixture
def clients(endpoint: LocalEndpoint) -> tuple[Client, Client]:
    """(the fast path, Flask's own view behind it) over one running endpoint."""
    assert endpoint.endpoint is not None
    app = create_app({"pair": endpoint.endpoint}, Metrics())
    fast = app.wsgi_app
    assert isinstance(fast, Invocations)
    return Client(app), Client(fast.app)


def answer(client: Client, path: str, body: bytes, headers: dict[str, str]) -> tuple[object, ...]:
    response = client.post(path, data=body, headers=headers)
    seen = dict(response.headers)
    latencies = seen.pop(protocol.CONTAINER_LATENCIES, "")
    hosts = [part.split("=")[0] for part in latencies.split(",") if part]
    return response.status, seen, response.get_data(), hosts


CASES = {
    "result": ("/endpoints/pair/invocations", b"0.5\n", {"Content-Type": "text/csv"}),
    "result, Accept and attributes": (
        "/invocations",
        b"1\n2\n",
        {
            "Content-Type": "text/csv",
            "Accept": "text/csv",
            protocol.CUSTOM_ATTRIBUTES: "trace=1",
            protocol.INFERENCE_ID: "abc",
        },
    ),
    "a container's 415": ("/endpoints/pair/invocations", b"x", {"Content-Type": "image/png"}),
    "a container's 400": ("/endpoints/pair/invocations", b"a,b\n", {"Content-Type": "text/csv"}),
    "header over its limit": (
        "/endpoints/pair/invocations",
        b"1\n",
        {"Content-Type": "text/csv", protocol.CUSTOM_ATTRIBUTES: "x" * 1025},
    ),
    "unknown variant": (
        "/endpoints/pair/invocations",
        b"1\n",
        {"Content-Type": "text/csv", protocol.TARGET_VARIANT: "nope"},
    ),
    "unknown endpoint": ("/endpoints/other/invocations", b"1\n", {"Content-Type": "text/csv"}),
    "no route": ("/endpoints/pair/invocations/more", b"1\n", {"Content-Type": "text/csv"}),
}


@pytest.mark.parametrize("case", CASES)
def test_the_fast_path_answers_as_flasks_view(clients: tuple[Client, Client], case: str) -> None:
    path, body, headers = CASES[case]
    fast, flask_view = (answer(client, path, body, headers) for client in clients)
    assert fast == flask_view


def test_the_fast_path_answers_the_pipeline(endpoint: LocalEndpoint) -> None:
    app = create_app({"pair": endpoint.endpoint}, Metrics())
    through_flask: list[str] = []

    @app.before_request
    def count() -> None:
        through_flask.append("view")

    client = Client(app)
    status, headers, body, hosts = answer(client, *CASES["result, Accept and attributes"])
    assert (status, body, hosts) == ("200 OK", b"3.0\n4.0\n", ["container-1", "container-2"])
    assert isinstance(headers, dict)
    assert headers[protocol.INVOKED_VARIANT] == "AllTraffic"
    status, headers, body, hosts = answer(client, *CASES["a container's 415"])
    assert status == "424 FAILED DEPENDENCY"
    assert isinstance(headers, dict) and headers[protocol.ERROR_TYPE] == "ModelError"
    assert through_flask == []  # neither went through Flask's request handling
    answer(client, *CASES["unknown endpoint"])
    assert through_flask == ["view"]  # which still answers what the fast path does not
