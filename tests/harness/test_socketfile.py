"""The front door's socket files read and write as cheroot's `_pyio` makefile does.

Each case runs on both over a socket pair, the bytes sent in pieces, and compares what
cheroot would see: lines, reads, buffered data, byte counters, and what is raised.
"""

from __future__ import annotations

import socket
import threading
import types
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cheroot.makefile import MakeFile

from inferline.containers.harness import frontdoor
from inferline.containers.harness.socketfile import SocketReader, SocketWriter, socket_file

Steps = list[tuple[str, int]]


@pytest.fixture
def pair() -> Iterator[tuple[socket.socket, socket.socket]]:
    left, right = socket.socketpair()
    left.settimeout(5)
    right.settimeout(5)
    yield left, right
    left.close()
    right.close()


def replay(
    factory: Callable[[socket.socket], Any], pieces: list[bytes], steps: Steps, *, end: bool
) -> list[Any]:
    """What `steps` (method, size) read from `pieces` sent one by one (then closed if `end`)."""
    left, right = socket.socketpair()
    right.settimeout(5)
    try:
        reader = factory(right)
        seen: list[Any] = []
        for piece in pieces:
            left.sendall(piece)
        if end:
            left.shutdown(socket.SHUT_WR)
        for method, size in steps:
            seen.append(getattr(reader, method)(size))
            seen.append(reader.bytes_read)
        return seen
    finally:
        left.close()
        right.close()


def cheroot_reader(sock: socket.socket) -> Any:
    return MakeFile(sock, "rb", 8192)


CASES: list[tuple[list[bytes], Steps]] = [
    ([b"POST /x HTTP/1.1\r\nHost: a\r\n\r\nbody"], [("readline", -1)] * 3 + [("read", 4)]),
    ([b"POST /x HT", b"TP/1.1\r", b"\nHost: a\r\n", b"\r\n"], [("readline", -1)] * 3),
    ([b"0123456789\r\n"], [("readline", 4), ("readline", 4), ("readline", 100)]),
    ([b"abc", b"def", b"ghi"], [("read", 7), ("read", 1), ("read", 5)]),
    ([b"no newline at all"], [("readline", -1), ("readline", -1)]),
    ([b"a\nb\n", b"c"], [("read", -1)]),
    # cheroot reads a line 256 bytes at a time (SizeCheckWrapper), across receives.
    ([b"x" * 70_000 + b"\n", b"next\n"], [("readline", 256)] * 3 + [("readline", -1)] * 2),
    ([b"one\r\n", b"two\r\n"], [("readline", None), ("read", None)]),  # type: ignore[list-item]
]


@pytest.mark.parametrize(("pieces", "steps"), CASES)
def test_reads_as_cheroots_makefile(pieces: list[bytes], steps: Steps) -> None:
    expected = replay(cheroot_reader, pieces, steps, end=True)
    assert replay(SocketReader, pieces, steps, end=True) == expected


def test_has_data_tells_a_pipelined_request_apart(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    reader = SocketReader(right)
    left.sendall(b"GET /ping HTTP/1.1\r\n\r\nGET /ping HTTP/1.1\r\n\r\n")
    assert not reader.has_data()
    assert reader.readline() == b"GET /ping HTTP/1.1\r\n"
    assert reader.readline() == b"\r\n"
    assert reader.has_data()  # the second request waits in the buffer
    reader.readline()
    reader.readline()
    assert not reader.has_data()


def test_a_silent_client_times_out_as_on_the_socket(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    left, right = pair
    right.settimeout(0.05)
    left.sendall(b"GET /pi")
    with pytest.raises(TimeoutError):
        SocketReader(right).readline()


def test_a_reset_reaches_the_caller(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    reader = SocketReader(right)
    right.close()
    with pytest.raises(OSError):
        reader.read(1)


def test_writes_whole_and_counts(pair: tuple[socket.socket, socket.socket]) -> None:
    left, right = pair
    writer = SocketWriter(right)
    payload = b"y" * 200_000
    received = bytearray()
    right.setblocking(True)
    left.settimeout(5)

    def drain() -> None:
        while len(received) < len(payload) + 2:
            received.extend(left.recv(65536))

    thread = threading.Thread(target=drain)
    thread.start()
    assert writer.write(b"ok") == 2
    assert writer.write(payload) == len(payload)
    writer.flush()
    thread.join(10)
    assert bytes(received) == b"ok" + payload
    assert writer.bytes_written == len(payload) + 2


def test_socket_file_takes_cheroots_arguments(pair: tuple[socket.socket, socket.socket]) -> None:
    _, right = pair
    assert isinstance(socket_file(right, "rb", 8192), SocketReader)
    assert isinstance(socket_file(right, "wb", 8192), SocketWriter)


def test_the_front_door_reads_and_writes_through_them(
    pair: tuple[socket.socket, socket.socket],
) -> None:
    _, right = pair
    server = types.SimpleNamespace(peercreds_enabled=False, peercreds_resolve_enabled=False)
    connection = frontdoor._Connection(server, right)
    assert isinstance(connection.rfile, SocketReader)
    assert isinstance(connection.wfile, SocketWriter)


def test_a_line_longer_than_one_buffer_stops_at_its_size() -> None:
    # io's contract, which _pyio bends past its buffer size (readline(8193) gives 16384).
    steps: Steps = [("readline", 65_537), ("readline", -1)]
    seen = replay(SocketReader, [b"x" * 70_000 + b"\n"], steps, end=True)
    assert [len(seen[0]), seen[1], len(seen[2]), seen[3]] == [65_537, 65_537, 4_464, 70_001]


class _Sends:
    """A socket's sending half that records each sendall."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def sendall(self, data: bytes) -> None:
        self.sent.append(bytes(data))


def test_a_held_head_leaves_with_the_body() -> None:
    sends = _Sends()
    writer = SocketWriter(sends)  # type: ignore[arg-type]  # only sendall is used
    writer.hold_next()
    writer.write(b"HTTP/1.1 200 OK\r\n\r\n")
    assert sends.sent == []
    writer.write(b"body")
    writer.write(b"more")
    assert sends.sent == [b"HTTP/1.1 200 OK\r\n\r\nbody", b"more"]
    assert writer.bytes_written == len(b"HTTP/1.1 200 OK\r\n\r\nbodymore")


def test_a_held_head_without_a_body_leaves_at_flush_and_a_large_body_apart() -> None:
    sends = _Sends()
    writer = SocketWriter(sends)  # type: ignore[arg-type]  # only sendall is used
    writer.hold_next()
    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
    writer.flush()
    assert sends.sent == [b"HTTP/1.1 204 No Content\r\n\r\n"]
    writer.hold_next()
    writer.write(b"head")
    large = b"z" * 100_000
    writer.write(large)
    assert sends.sent[1:] == [b"head", large]


def test_the_front_door_answers_in_one_send(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real front door and app: each answer, head and body, is one sendall.
    sends: list[bytes] = []
    original = SocketWriter._send

    def recorded(writer: SocketWriter, data: bytes) -> None:
        sends.append(bytes(data))
        original(writer, data)

    monkeypatch.setattr(SocketWriter, "_send", recorded)

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]

    door = frontdoor.start(app, "127.0.0.1", 0)
    try:
        client = socket.create_connection(("127.0.0.1", door.port), timeout=5)
        with client:
            for _ in range(3):
                client.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                answer = b""
                while not answer.endswith(b"hello"):
                    data = client.recv(65536)  # bounded: a closed connection fails here
                    assert data, "the front door closed the connection"
                    answer += data
    finally:
        door.stop()
    assert len(sends) == 3
    assert all(s.startswith(b"HTTP/1.1 200 OK\r\n") and s.endswith(b"\r\n\r\nhello") for s in sends)
