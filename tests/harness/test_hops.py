"""HttpHop, the harness's client of one container: whatever HTTP/1.x answer a container
gives is read whole, connections are kept alive when (and only when) the answer allows,
and a container that breaks off, garbles or stalls its answer is a named failure.

The "containers" here are loopback sockets answering scripted bytes, as a BYOC container
with its own HTTP server may answer; `test_a_gunicorn_container_keeps_one_connection`
uses a real inferline container.
"""

from __future__ import annotations

import os
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pytest

from inferline.containers.harness import lifecycle, ports
from inferline.containers.harness.hops import HttpHop
from inferline.containers.harness.runtime import Container
from inferline.containers.pipeline.chain import HopFailed, HopTimedOut
from tests.echo import WAIT_SECONDS, echo_model, serve_command

__all__ = ["echo_model"]  # the fixture, used by name

# A scripted container: given the request's body, the bytes to answer (None: answer nothing).
Script = Callable[[bytes], bytes | None]
OK = b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nContent-Length: %d\r\n\r\n%s"


def ok(body: bytes) -> bytes:
    return OK % (len(body), body)


@dataclass
class Scripted:
    """A loopback server answering each request with `script`, counting its connections."""

    script: Script
    listener: socket.socket = field(default_factory=socket.socket)
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    close_after_answer: bool = False
    running: bool = True
    stopped: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(8)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def hostname(self) -> str:
        return "scripted"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.listener.getsockname()[1]}"

    @property
    def log_path(self) -> Path:
        return Path("/dev/null")

    def alive(self) -> bool:
        return self.running

    def restart(self) -> None:
        pass

    def stop(self) -> None:
        self.running = False
        self.stopped.set()
        try:  # wakes the accept() under way; close() alone would leave it accepting
            self.listener.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already shut
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        with sock, sock.makefile("rb") as reader:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                body = reader.read(length)
                self.requests.append(head + body)
                answer = self.script(body)
                if answer is None:  # stall: hold the connection, answer nothing
                    self.stopped.wait(WAIT_SECONDS)
                    return
                sock.sendall(answer)
                if self.close_after_answer:
                    return


@pytest.fixture
def scripted() -> Iterator[Callable[[Script], Scripted]]:
    servers: list[Scripted] = []

    def start(script: Script) -> Scripted:
        servers.append(Scripted(script))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def hop() -> Iterator[Callable[..., HttpHop]]:
    """HttpHop(container, ...), closed (its pooled sockets with it) after the test."""
    made: list[HttpHop] = []

    def make(container: Scripted, **kwargs: Any) -> HttpHop:
        made.append(HttpHop(container, **kwargs))
        return made[-1]

    yield make
    for each in made:
        each.close()


def post(hop: HttpHop, body: bytes = b"1,2\n", timeout: float = 10.0) -> tuple[int, str, bytes]:
    reply = hop.post(body, {"Content-Type": "text/csv"}, timeout)
    return reply.status, reply.headers.get("Content-Type") or "", reply.body


def test_a_keep_alive_answer_reuses_its_connection(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(ok)
    client = hop(server)
    answers = [post(client, f"{n}\n".encode()) for n in range(50)]
    assert answers == [(200, "text/csv", f"{n}\n".encode()) for n in range(50)]
    assert server.connections == 1
    first = server.requests[0].decode()
    assert first.startswith("POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:")
    assert "Content-Type: text/csv\r\nContent-Length: 2\r\n\r\n0\n" in first


def test_headers_are_read_in_any_case_and_a_repeated_one_keeps_its_first_value(  # type: ignore[no-untyped-def]
    hop, scripted
) -> None:
    answer = (
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        b"X-Amzn-SageMaker-Custom-Attributes: a\r\nX-Amzn-SageMaker-Custom-Attributes: b\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    reply = hop(scripted(lambda _: answer)).post(b"x", {}, 10.0)
    assert reply.headers.get("Content-Type") == "application/json"
    assert reply.headers.get("x-amzn-sagemaker-custom-attributes") == "a"
    assert reply.headers.get("X-Missing") is None


def test_a_chunked_answer_is_decoded_and_keeps_the_connection(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    chunked = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"3\r\n1,2\r\n2\r\n,3\r\n0\r\n\r\n"
    )
    server = scripted(lambda _: chunked)
    client = hop(server)
    assert post(client) == (200, "text/csv", b"1,2,3")
    assert post(client) == (200, "text/csv", b"1,2,3")
    assert server.connections == 1


def test_an_answer_ended_by_closing_is_read_to_the_end_and_not_reused(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(lambda body: b"HTTP/1.0 200 OK\r\nContent-Type: text/csv\r\n\r\n" + body * 3)
    server.close_after_answer = True
    client = hop(server)
    assert post(client, b"ab") == (200, "text/csv", b"ababab")
    assert post(client, b"cd") == (200, "text/csv", b"cdcdcd")
    assert server.connections == 2


def test_connection_close_is_honoured(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    server = scripted(lambda _: closing)
    server.close_after_answer = True
    client = hop(server)
    assert [post(client)[2] for _ in range(3)] == [b"ok"] * 3
    assert server.connections == 3


def test_an_idle_connection_the_container_closed_is_not_used(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    # Keep-alive answers, but the server closes after each (as on keep-alive expiry):
    # the pooled socket is seen closed and a new one is opened, with no failed request.
    server = scripted(ok)
    server.close_after_answer = True
    client = hop(server)
    for n in range(5):
        assert post(client, f"{n}".encode())[2] == f"{n}".encode()
        wait_closed(client)
    assert server.connections == 5


def wait_closed(hop: HttpHop) -> None:
    """Wait until the pooled connection has seen the server's FIN (bounded)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        idle = list(hop._idle)  # noqa: SLF001 - what the pool holds is the point here
        if not idle or select.select([idle[0]], [], [], 0.05)[0]:
            return
    raise AssertionError("the server's close never reached the pooled connection")


def test_a_truncated_answer_fails_naming_the_container(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(lambda _: b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
    server.close_after_answer = True
    with pytest.raises(HopFailed, match="connection to scripted failed: the connection closed"):
        post(hop(server))


def test_a_dead_containers_failure_says_it_is_restarted(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(ok)
    crashed: list[object] = []
    client = hop(server, on_crash=crashed.append)
    server.stop()
    with pytest.raises(HopFailed, match="scripted is not running .* the harness restarts it"):
        post(client)
    assert crashed == [server]


def test_a_malformed_answer_fails_naming_the_container(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(lambda _: b"HTTP/1.1 two hundred\r\n\r\n")
    with pytest.raises(HopFailed, match="scripted answered malformed HTTP"):
        post(hop(server))


def test_garbage_after_a_whole_answer_keeps_the_answer_not_the_connection(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(lambda body: ok(body) + b"\x00 not HTTP\r\n\r\n")
    client = hop(server)
    assert post(client, b"a") == (200, "text/csv", b"a")
    assert post(client, b"b") == (200, "text/csv", b"b")
    assert server.connections == 2


def test_a_stalled_answer_times_out(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(lambda _: None)
    with pytest.raises(HopTimedOut):
        post(hop(server), timeout=0.2)


def test_a_header_with_a_line_break_is_never_sent(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    server = scripted(ok)
    with pytest.raises(HopFailed, match="X-Amzn-SageMaker-Custom-Attributes header"):
        hop(server).post(b"x", {"X-Amzn-SageMaker-Custom-Attributes": "a\r\nX: y"}, 10.0)
    assert server.requests == []


def test_a_large_body_goes_through_whole(hop, scripted) -> None:  # type: ignore[no-untyped-def]
    body = bytes(range(256)) * 4096  # 1 MB: sent after the head, answered in many reads
    server = scripted(ok)
    assert post(hop(server), body) == (200, "text/csv", body)


def test_a_gunicorn_container_keeps_one_connection(echo_model: Path, tmp_path: Path) -> None:
    port = ports.allocate().port
    server = lifecycle.start(
        [*serve_command(echo_model), "--port", str(port)],
        url=f"http://127.0.0.1:{port}",
        log_path=tmp_path / "echo.log",
        env={
            **os.environ,
            "SAGEMAKER_MODEL_SERVER_WORKERS": "2",
            "ECHO_NAME": "one",
            "ECHO_STATE": str(tmp_path),
        },
        hostname="echo",
    )
    # A hop reads only a container's url, hostname, log and liveness, which a bare server has.
    client = HttpHop(cast("Container", server))
    try:
        server.wait_ready(WAIT_SECONDS)
        sockets = set()
        for n in range(100):
            reply = client.post(f"call {n}".encode(), {"Content-Type": "text/plain"}, 30.0)
            assert (reply.status, reply.body[: len(f"call {n}")]) == (200, f"call {n}".encode())
            sockets.update(client._idle)  # noqa: SLF001 - the pooled connection is the point
        assert len(sockets) == 1, f"{len(sockets)} connections for 100 calls"
    finally:
        client.close()
        server.stop()
