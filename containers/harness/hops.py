"""The HTTP transport of a chain: each hop POSTs to a running container over keep-alive.

Each container has its own keep-alive connections: a socket of our own, the request
written in one send, the answer parsed by httptools (the llhttp parser uvicorn uses).
A container that cannot be reached because its process died is handed to `on_crash`
(the deployment restarts it in the background) and the request fails with a ModelError
naming it::

    chain = HttpChain(model, containers, endpoint="abalone", on_crash=restart_later)
    chain.invoke(Request(body, "text/csv"))
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Callable, Sequence

import httptools

from inferline.containers.core.definition import ModelSpec
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES
from inferline.containers.harness.runtime import Container
from inferline.containers.pipeline.chain import (
    DEFAULT_TIMEOUT_SECONDS,
    Chain,
    HopFailed,
    HopReply,
    HopTimedOut,
)

POOL_SIZE = 32  # idle connections kept per container
CONNECT_SECONDS = 2.0
EXIT_GRACE_SECONDS = 0.25  # how long a container that dropped a connection may take to die
EXIT_POLL_SECONDS = 0.005
RECEIVE_BYTES = 64 * 1024
COALESCE_BYTES = 64 * 1024  # a larger body is sent after the head, not copied onto it


class HttpHop:
    """One running container and its keep-alive connections.

    Not `http.client` (nor urllib3, which is http.client with more on top): its answer
    parsing goes through the email package, and a hop spent about 190 µs of the harness's
    CPU in it against 45 µs for a socket and httptools, interleaved on the same
    container (docs/benchmarks.md, "Per hop"). httptools parses any HTTP/1.x answer a
    container may give (Content-Length, chunked, or a body ended by closing). What a
    pool must do is kept: an idle connection the container closed (keep-alive expiry,
    a restart) is dropped before use, never sent a request; there are no retries.
    """

    def __init__(
        self, container: Container, on_crash: Callable[[Container], None] = lambda _: None
    ) -> None:
        self.container = container
        self.on_crash = on_crash
        host, _, port = container.url.removeprefix("http://").partition(":")
        self._address = (host, int(port or 80))
        self._request_line = f"POST /invocations HTTP/1.1\r\nHost: {host}:{self._address[1]}\r\n"
        self._idle: list[socket.socket] = []
        self._lock = threading.Lock()

    @property
    def hostname(self) -> str:
        return self.container.hostname

    @property
    def log_stream(self) -> str:
        return str(self.container.log_path)

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HopReply:
        deadline = time.monotonic() + timeout
        head = self._head(body, headers)
        sock = self._connection(timeout)
        answer = _Answer()
        parser = answer.parser = httptools.HttpResponseParser(answer)
        try:
            if len(body) <= COALESCE_BYTES:
                sock.sendall(head + body)
            else:
                sock.sendall(head)
                sock.sendall(body)
            while not answer.complete:
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                data = sock.recv(RECEIVE_BYTES)
                if not data:
                    if not answer.ends_at_close:
                        raise ConnectionResetError("the connection closed before the answer ended")
                    break  # a body without a length ends when the connection does
                parser.feed_data(data)
        except TimeoutError:
            sock.close()
            raise HopTimedOut() from None
        except httptools.HttpParserError as error:
            if not answer.complete:
                sock.close()
                raise HopFailed(f"{self.hostname} answered malformed HTTP: {error}") from None
            answer.trailing = True  # garbage after a whole answer: the answer stands
        except OSError as error:
            sock.close()
            raise HopFailed(self._lost(error)) from None
        if answer.keep_alive and not answer.trailing:
            self._release(sock)
        else:
            sock.close()
        return HopReply(parser.get_status_code(), answer.headers, b"".join(answer.body))

    def _head(self, body: bytes, headers: dict[str, str]) -> bytes:
        for name, value in headers.items():
            if "\r" in value or "\n" in value:  # would end the header early, a new one after
                raise HopFailed(f"the {name} header for {self.hostname} holds a line break")
        lines = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        head = f"{self._request_line}{lines}Content-Length: {len(body)}\r\n\r\n"
        return head.encode("latin-1", "replace")

    def _connection(self, timeout: float) -> socket.socket:
        """An idle connection still open, else a new one (connect within CONNECT_SECONDS)."""
        while True:
            with self._lock:
                sock = self._idle.pop() if self._idle else None
            if sock is None:
                break
            if _still_open(sock):
                return sock
            sock.close()
        try:
            sock = socket.create_connection(self._address, timeout=min(timeout, CONNECT_SECONDS))
        except TimeoutError:
            raise HopTimedOut() from None
        except OSError as error:
            raise HopFailed(self._lost(error)) from None
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # one request, one send
        return sock

    def _release(self, sock: socket.socket) -> None:
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(sock)
                return
        sock.close()

    def _lost(self, error: Exception) -> str:
        """Why a container could not be reached; a dead one is restarted in the background."""
        if self._still_alive():
            return f"connection to {self.hostname} failed: {_reason(error)}"
        self.on_crash(self.container)
        return (
            f"{self.hostname} is not running (it crashed or is restarting); the harness restarts it"
        )

    def _still_alive(self) -> bool:
        """Whether the container runs, given the kernel a moment to finish a killed one.

        A container whose connections drop is usually dying, and it still looks alive
        until its exit is reaped (0.01-0.1 s for a killed gunicorn; a zygote's container
        is reaped, then reported, by the zygote). Waiting that long here names the crash
        and starts its restart, and a router stops sending to the copy at once.
        """
        deadline = time.monotonic() + EXIT_GRACE_SECONDS
        while self.container.alive():
            if time.monotonic() >= deadline:
                return True
            time.sleep(EXIT_POLL_SECONDS)
        return False

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for sock in idle:
            sock.close()


class _Answer:
    """httptools' callbacks for one answer: its headers (names lower-cased) and body."""

    __slots__ = ("body", "complete", "ends_at_close", "headers", "keep_alive", "parser", "trailing")

    def __init__(self) -> None:
        self.headers = AnswerHeaders()
        self.body: list[bytes] = []
        self.complete = False
        self.parser: httptools.HttpResponseParser | None = None
        self.ends_at_close = False  # no Content-Length, not chunked: read until closed
        self.keep_alive = False  # llhttp's verdict, read while it parses (it resets after)
        self.trailing = False  # bytes after the answer: never reuse such a connection

    def on_header(self, name: bytes, value: bytes) -> None:
        # A repeated header keeps its first value, as http.client's `msg.get` read it.
        self.headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        framed = "content-length" in self.headers or "chunked" in (
            self.headers.get("transfer-encoding") or ""
        )
        self.ends_at_close = not framed
        self.keep_alive = self.parser is not None and self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        if self.complete:
            self.trailing = True
            return
        self.body.append(body)

    def on_message_begin(self) -> None:
        if self.complete:
            self.trailing = True

    def on_message_complete(self) -> None:
        self.complete = True


class AnswerHeaders(dict[str, str]):
    """A container's answer headers: names stored lower-cased, `get` in any case."""

    def get(self, key: str, default: str | None = None, /) -> str | None:  # type: ignore[override]  # case-insensitive
        return super().get(key.lower(), default)


def _still_open(sock: socket.socket) -> bool:
    """Whether an idle keep-alive socket can take a request: nothing to read, not closed.

    The peer's FIN (or an unsolicited answer) makes it readable; a live idle one is not.
    A poll, not a peeking recv: on a socket with a timeout Python waits before recv.
    """
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return not poller.poll(0)


class HttpChain(Chain):
    """A chain over running containers, keeping them at hand for health and restarts."""

    def __init__(
        self,
        model: ModelSpec,
        containers: Sequence[Container],
        *,
        endpoint: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_payload: int = MAX_PAYLOAD_BYTES,
        on_crash: Callable[[Container], None] = lambda _: None,
    ) -> None:
        self.http_hops = [HttpHop(container, on_crash) for container in containers]
        super().__init__(
            model, self.http_hops, endpoint=endpoint, timeout=timeout, max_payload=max_payload
        )

    @property
    def containers(self) -> list[Container]:
        return [hop.container for hop in self.http_hops]


def _reason(error: Exception) -> str:
    return str(error) or type(error).__name__
