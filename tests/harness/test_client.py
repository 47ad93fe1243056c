"""The endpoint's HTTP client and the server lifecycle helper, against real servers."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from inferline.containers.core import definition
from inferline.containers.core.errors import (
    InvocationError,
    InvocationTooLarge,
    ModelError,
    StartupError,
    StateError,
    ValidationError,
)
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES
from inferline.containers.harness import EndpointClient, LocalEndpoint, lifecycle, ports
from tests.harness.conftest import chain_of

READY_SECONDS = 60.0


@pytest.fixture(scope="module")
def endpoint(plus: dict[int, Path]) -> Iterator[LocalEndpoint]:
    with LocalEndpoint(definition.parse(chain_of(plus[1], 2, name="client"))) as running:
        yield running


def test_the_client_reads_body_variant_and_latencies(endpoint: LocalEndpoint) -> None:
    with endpoint.client() as client:
        answer = client.invoke(
            "1",
            content_type="text/csv",
            accept="text/csv",
            custom_attributes="trace=1",
            target_variant="AllTraffic",
            inference_id="req-7",
        )
    assert float(answer.body) == 3.0
    assert answer.content_type is not None and answer.content_type.startswith("text/csv")
    assert answer.variant == "AllTraffic"
    assert list(answer.latencies) == ["container-1", "container-2"]
    assert all(micros > 0 for micros in answer.latencies.values())


def test_error_answers_raise_the_core_errors(endpoint: LocalEndpoint) -> None:
    with endpoint.client() as client:
        with pytest.raises(ModelError) as model_error:
            client.invoke("1", content_type="image/png")
        assert model_error.value.original_status == 415
        assert "Received client error (415) from container-1" in model_error.value.message
        assert model_error.value.log_stream.endswith("container-1.log")

        with pytest.raises(ValidationError, match="TargetVariant 'Nope'"):
            client.invoke("1", content_type="text/csv", target_variant="Nope")
        with pytest.raises(InvocationTooLarge):
            client.invoke(b"1" * (MAX_PAYLOAD_BYTES + 1), content_type="text/csv")
    with EndpointClient(endpoint.url, "no-such-endpoint") as stranger:
        with pytest.raises(ValidationError, match="Endpoint no-such-endpoint not found"):
            stranger.invoke("1", content_type="text/csv")


def test_an_unknown_error_keeps_its_status(endpoint: LocalEndpoint) -> None:
    with EndpointClient(endpoint.url + "/nowhere", "client") as client:
        with pytest.raises(InvocationError) as error:
            client.invoke("1", content_type="text/csv")
    assert (error.value.status, error.value.error_type) == (404, "UnknownOperationException")


def test_nothing_listening_is_a_state_error() -> None:
    port = ports.allocate().port
    with EndpointClient(f"http://127.0.0.1:{port}", "gone") as client:
        with pytest.raises(StateError, match=f"no endpoint answers at http://127.0.0.1:{port}"):
            client.invoke("1")


def test_a_server_that_exits_fails_readiness_at_once_with_its_log(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "print('cannot load the model'); raise SystemExit(3)"]
    server = lifecycle.start(
        command, url="http://127.0.0.1:9", log_path=tmp_path / "bad.log", hostname="bad"
    )
    with pytest.raises(StartupError) as error:
        server.wait_ready(READY_SECONDS)
    assert "1 server(s) did not pass the ping health check" in str(error.value)
    assert "- bad (bad.log): exited" in str(error.value)
    assert "cannot load the model" in str(error.value)
    assert server.stop() == 3


def test_serve_is_ready_then_stops_with_its_whole_group(
    plus: dict[int, Path], tmp_path: Path
) -> None:
    port = ports.allocate().port
    command = [sys.executable, "-m", "inferline.containers", "serve", "--model-dir",
               str(plus[1]), "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    env = {**os.environ, "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
    server = lifecycle.start(
        command,
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path / "serve.log",
        env=env,
        hostname="plus",
        prefix_lines=True,
    )
    try:
        server.wait_ready(READY_SECONDS)
        assert server.alive()
    finally:
        code = server.stop()
    assert code == 0, server.log_tail()
    assert not server.alive()
    assert all(line.startswith("plus | ") for line in server.log_path.read_text().splitlines())
    assert _group_gone(server.pid), "a worker outlived its master"


def _group_gone(group: int, seconds: float = 10.0) -> bool:
    """True once no process is left in the group (killed workers are reaped by init)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False
