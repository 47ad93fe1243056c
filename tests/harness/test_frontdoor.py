"""The harness's front door keeps client connections alive, and errors stay JSON on it."""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import urllib3

from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint, frontdoor
from tests.harness.conftest import chain_of

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

CALLS = 100
CSV = {"Content-Type": "text/csv", "Accept": "text/csv"}


class PeerRecorder:
    """A WSGI app that echoes its body and records each request's client address."""

    def __init__(self) -> None:
        self.peers: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        with self._lock:
            self.peers.append((environ["REMOTE_ADDR"], environ["REMOTE_PORT"]))
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        headers = [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))]
        start_response("200 OK", headers)
        return [body]


def test_a_keep_alive_client_uses_one_connection_for_a_hundred_calls() -> None:
    recorder = PeerRecorder()
    door = frontdoor.start(recorder, "127.0.0.1", 0)
    try:
        pool = urllib3.HTTPConnectionPool("127.0.0.1", door.port, maxsize=1, retries=False)
        for index in range(CALLS):
            response = pool.urlopen("POST", "/", body=str(index).encode())
            assert (response.status, response.data) == (200, str(index).encode())
        pool.close()
    finally:
        door.stop()
    assert len(recorder.peers) == CALLS
    # The server saw every request come from the same client socket: one accepted connection.
    assert len(set(recorder.peers)) == 1


def test_a_taken_port_fails_at_start() -> None:
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            frontdoor.start(PeerRecorder(), "127.0.0.1", door.port)
    finally:
        door.stop()


@pytest.fixture(scope="module")
def endpoint(plus: dict[int, Path]) -> Iterator[LocalEndpoint]:
    with LocalEndpoint(definition.parse(chain_of(plus[1], 2, name="door"))) as served:
        yield served


def test_the_endpoint_answers_a_hundred_calls_on_one_socket(endpoint: LocalEndpoint) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=60)
    sockets = set()
    try:
        for index in range(CALLS):
            connection.request("POST", "/endpoints/door/invocations", str(index), CSV)
            response = connection.getresponse()
            # http.client opens a new socket after an answer that closes the connection.
            assert response.getheader("Connection", "").lower() != "close"
            assert (response.status, response.read()) == (200, f"{index + 2}.0\n".encode())
            assert connection.sock is not None
            sockets.add(connection.sock.getsockname())
    finally:
        connection.close()
    assert len(sockets) == 1


def test_bad_requests_get_json_errors_and_the_connection_stays_usable(
    endpoint: LocalEndpoint,
) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", endpoint.port, timeout=60)
    bad = [
        ("POST", "/endpoints/nowhere/invocations", CSV, 400, "ValidationError"),
        ("GET", "/endpoints/door/invocations", CSV, 405, None),
        ("POST", "/endpoints/door/invocations", {"Content-Type": "image/png"}, 424, None),
    ]
    try:
        for method, path, headers, status, code in bad:
            connection.request(method, path, "1", headers)
            response = connection.getresponse()
            assert response.status == status, (method, path)
            assert response.getheader("Content-Type", "").startswith("application/json")
            error = json.loads(response.read())
            assert isinstance(error, dict) and error, (method, path, error)
            if code is not None:
                assert code in json.dumps(error)
        connection.request("POST", "/endpoints/door/invocations", "1", CSV)
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"3.0\n")
    finally:
        connection.close()
