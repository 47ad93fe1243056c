"""The harness's front door keeps client connections alive, and errors stay JSON on it.

Requests cheroot refuses itself (before any app) are answered in inferline's JSON error
shape, the connection closes, and the next connection is served; a chunked body reaches
the app decoded, with its length, and the connection stays alive after it.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from email.utils import formatdate
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import urllib3
from cheroot.makefile import MakeFile

from inferline.containers.core import definition
from inferline.containers.core.protocol import ERROR_TYPE, MAX_PAYLOAD_BYTES
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


def test_every_answer_has_one_date_header_and_an_app_s_own_is_kept() -> None:
    def dated(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        own = [("Date", "Sun, 06 Nov 1994 08:49:37 GMT")] if environ["PATH_INFO"] == "/own" else []
        start_response("200 OK", [("Content-Length", "2"), *own])
        return [b"ok"]

    door = frontdoor.start(dated, "127.0.0.1", 0)
    try:
        pool = urllib3.HTTPConnectionPool("127.0.0.1", door.port, maxsize=1, retries=False)
        before = formatdate(int(time.time()), usegmt=True)
        made = pool.urlopen("GET", "/").headers.getlist("Date")
        after = formatdate(int(time.time()), usegmt=True)
        own = pool.urlopen("GET", "/own").headers.getlist("Date")
        pool.close()
    finally:
        door.stop()
    assert len(made) == 1 and made[0] in (before, after)  # the second it was answered in
    assert own == ["Sun, 06 Nov 1994 08:49:37 GMT"]


def test_a_taken_port_fails_at_start() -> None:
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    try:
        with pytest.raises(OSError):
            frontdoor.start(PeerRecorder(), "127.0.0.1", door.port)
    finally:
        door.stop()


@pytest.fixture(scope="module")
def door() -> Iterator[tuple[frontdoor.FrontDoor, PeerRecorder]]:
    recorder = PeerRecorder()
    served = frontdoor.start(recorder, "127.0.0.1", 0)
    yield served, recorder
    served.stop()


def exchange(port: int, data: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read until the server closes: status, headers (lower-case), body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (ln.partition(": ") for ln in lines)}
    return int(status_line.split()[1]), headers, body


def post(body: bytes, *headers: str) -> bytes:
    head = "".join(f"{header}\r\n" for header in ("POST / HTTP/1.1", "Host: x", *headers))
    return head.encode() + b"\r\n" + body


REFUSED = {
    "a 64 KB header": (post(b"1", "X-Hostile: " + "a" * 65536, "Content-Length: 1"), 431),
    "a head of many small headers": (
        post(b"1", *(f"X-Many-{n}: {'a' * 100}" for n in range(200)), "Content-Length: 1"),
        431,
    ),
    "a request line over the head limit": (f"GET /{'a' * 20000} HTTP/1.1\r\n\r\n".encode(), 414),
    "a body declared at 100 MB": (post(b"1.0", "Content-Length: 104857600"), 413),
    "a chunked body over the limit": (
        post(b"%x\r\n" % (MAX_PAYLOAD_BYTES + 1), "Transfer-Encoding: chunked"),
        413,
    ),
    "a bad chunk size": (post(b"zz\r\n1.0\r\n0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "a chunk without its CRLF": (post(b"3\r\n1.0XX0\r\n\r\n", "Transfer-Encoding: chunked"), 400),
    "a request line of garbage": (b"\x16\x03\x01\x02\x00 garbage\r\n\r\n", 400),
    "a bad Content-Length": (post(b"1", "Content-Length: ten"), 400),
    "HTTP/2.0": (b"GET / HTTP/2.0\r\n\r\n", 505),
}
ERROR_NAMES = {400: "BadRequest", 413: "PayloadTooLarge", 414: "BadRequest", 431: "BadRequest"}


@pytest.mark.parametrize("name", REFUSED)
def test_a_refused_request_is_answered_as_json_and_the_next_one_is_served(
    door: tuple[frontdoor.FrontDoor, PeerRecorder], name: str
) -> None:
    served, recorder = door
    data, status = REFUSED[name]
    before = len(recorder.peers)
    answered, headers, body = exchange(served.port, data)
    assert answered == status
    assert headers["content-type"] == "application/json"
    assert headers["connection"] == "close"
    error = json.loads(body)
    assert error["error"] == ERROR_NAMES.get(status, "ServingError"), error
    assert error["message"], error
    assert headers[ERROR_TYPE.lower()] == error["error"]
    assert len(recorder.peers) == before  # refused before the app
    assert exchange(served.port, post(b"ok", "Content-Length: 2"))[::2] == (200, b"ok")


def test_a_client_sending_all_of_a_refused_request_still_gets_the_answer(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    """http.client sends the whole request before reading: the front door reads what
    is left before closing, or the client's socket is reset and the 431 lost with it."""
    served, _ = door
    statuses = []
    for _ in range(20):
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        try:
            connection.request("POST", "/", b"1" * 65536, {"X-Hostile": "a" * 65536})
            statuses.append(connection.getresponse().status)
        finally:
            connection.close()
    assert statuses == [431] * 20


def test_a_body_over_the_limit_sent_in_full_gets_a_413(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    served, _ = door
    pool = urllib3.HTTPConnectionPool("127.0.0.1", served.port, retries=False, timeout=30)
    response = pool.urlopen("POST", "/", body=b"1" * (MAX_PAYLOAD_BYTES + 1))
    assert response.status == 413
    assert json.loads(response.data)["error"] == "PayloadTooLarge"
    assert pool.urlopen("POST", "/", body=b"1" * MAX_PAYLOAD_BYTES).status == 200
    pool.close()


def test_expect_continue_over_the_limit_is_refused_before_the_body_is_sent(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    served, _ = door
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        head = post(b"", "Expect: 100-continue", f"Content-Length: {MAX_PAYLOAD_BYTES + 1}")
        sock.sendall(head)  # and no body: a client waits for 100 Continue before sending it
        answer = sock.makefile("rb").read()  # until the server closes
    assert answer.startswith(b"HTTP/1.1 413 "), answer  # not 100: the body was never invited
    assert json.loads(answer.partition(b"\r\n\r\n")[2])["error"] == "PayloadTooLarge"


def test_expect_continue_within_the_limit_is_invited(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    served, _ = door
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(post(b"", "Expect: 100-continue", "Content-Length: 2", "Connection: close"))
        reader = sock.makefile("rb")
        assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
        assert reader.readline() == b"\r\n"
        sock.sendall(b"ok")
        answer = reader.read()  # until the server closes
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n") and answer.endswith(b"\r\n\r\nok")


def test_a_chunked_body_reaches_the_app_decoded_and_the_connection_stays_alive(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    served, recorder = door
    before = len(recorder.peers)
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        for index in range(3):
            pieces = iter([b"1.0,", str(index).encode(), b",3.0"])
            connection.request("POST", "/", pieces, encode_chunked=True)
            response = connection.getresponse()
            assert (response.status, response.read()) == (200, f"1.0,{index},3.0".encode())
    finally:
        connection.close()
    assert len(set(recorder.peers[before:])) == 1  # one connection for the three


def test_trailers_after_a_chunked_body_are_not_taken_for_the_next_request(
    door: tuple[frontdoor.FrontDoor, PeerRecorder],
) -> None:
    served, _ = door
    chunked = post(b"2\r\nok\r\n0\r\nX-Trailer: 1\r\n\r\n", "Transfer-Encoding: chunked")
    closing = post(b"!", "Content-Length: 1", "Connection: close")
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(chunked + closing)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    assert received.count(b"HTTP/1.1 200 OK") == 2, received
    assert received.endswith(b"\r\n\r\n!")


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


class Gate:
    """A WSGI app that holds each request until `release` (counting those held)."""

    def __init__(self) -> None:
        self.held = threading.Semaphore(0)
        self.open = threading.Event()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        self.held.release()
        assert self.open.wait(30)
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]


def test_each_thread_answers_what_wakes_it_and_a_silent_connection_holds_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(frontdoor, "THREADS", 2)
    gate = Gate()
    door = frontdoor.start(gate, "127.0.0.1", 0)
    try:
        assert type(door._server._connections).__name__ == "DirectConnections"
        silent = [socket.create_connection(("127.0.0.1", door.port)) for _ in range(4)]
        clients = [http.client.HTTPConnection("127.0.0.1", door.port, timeout=30) for _ in "ab"]
        for client in clients:
            client.request("GET", "/")
        for _ in clients:  # both held at once: the silent connections took no thread
            assert gate.held.acquire(timeout=30)
        gate.open.set()
        assert [client.getresponse().read() for client in clients] == [b"ok", b"ok"]
        for sock in [*silent, *clients]:
            sock.close()
    finally:
        door.stop()


def test_a_connection_idle_past_the_timeout_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(frontdoor, "IDLE_SECONDS", 1.0)
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    try:
        with socket.create_connection(("127.0.0.1", door.port), timeout=30) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi")
            answer = b""
            while not answer.endswith(b"hi"):
                answer += sock.recv(65536)
            started = time.monotonic()
            assert sock.recv(65536) == b""  # the door closed it: expired while idle
        assert time.monotonic() - started < 29  # by the sweep, not by the client's timeout
        assert door._server._connections._num_connections == 0
    finally:
        door.stop()


def test_stop_ends_the_serving_threads() -> None:
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    pool = urllib3.HTTPConnectionPool("127.0.0.1", door.port, maxsize=1, retries=False)
    assert pool.urlopen("POST", "/", body=b"x").data == b"x"
    threads = door._server._connections._started
    assert len(threads) == frontdoor.THREADS
    door.stop()
    pool.close()
    for thread in threads:
        thread.join(30)
    assert not [thread for thread in threads if thread.is_alive()]


def test_a_wake_up_for_the_listener_after_stop_let_go_of_it_is_ignored() -> None:
    # cheroot's `stop` connects to its own listener to wake whoever waits on it, then
    # closes it and sets `server.socket` to None: a serving thread that wakes after that
    # (the race a `make test` hit) finds no socket to accept from.
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    listener = door._server.socket
    try:
        door._server.socket = None
        door._server._connections._accept()  # what the woken thread does
        assert door._server._connections._num_connections == 0
    finally:
        door._server.socket = listener
        door.stop()


def test_a_connection_parked_after_the_door_closed_is_closed_not_leaked() -> None:
    # The thread that accepts stop's own wake-up connection may park it after `close`
    # has closed the idle ones: nothing would close it then (an unclosed socket).
    door = frontdoor.start(PeerRecorder(), "127.0.0.1", 0)
    connections = door._server._connections
    door.stop()
    ours, theirs = socket.socketpair()
    with theirs:
        connection = door._server.ConnectionClass(door._server, ours, MakeFile)
        connections._park(connection)
        assert ours.fileno() == -1
        assert connections._num_connections == 0
