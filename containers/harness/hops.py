"""The HTTP transport of a chain: each hop POSTs to a running container over keep-alive.

Each container has its own keep-alive connections (`http.client`: the fewest layers
between two hops; docs/benchmarks.md has the per-hop cost). A container that cannot
be reached because its process died is handed to `on_crash` (the deployment restarts
it in the background) and the request fails with a ModelError naming it::

    chain = HttpChain(model, containers, endpoint="abalone", on_crash=restart_later)
    chain.invoke(Request(body, "text/csv"))
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
import time
from collections.abc import Callable, Sequence

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


class HttpHop:
    """One running container and its keep-alive connections.

    The stdlib's `http.client` over a small pool of our own, not urllib3: urllib3 is
    http.client with retries, redirects, decoding and header bookkeeping on top, none
    of which a hop uses, and it cost about 170 µs of client CPU per hop of the 0.5 ms
    target (docs/benchmarks.md, "Per hop"). What urllib3's pool did that a hop needs is
    kept: an idle connection the container closed (keep-alive expiry, a restart) is
    dropped before use, never sent a request; there are no retries.
    """

    def __init__(
        self, container: Container, on_crash: Callable[[Container], None] = lambda _: None
    ) -> None:
        self.container = container
        self.on_crash = on_crash
        host, _, port = container.url.removeprefix("http://").partition(":")
        self._address = (host, int(port or 80))
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    @property
    def hostname(self) -> str:
        return self.container.hostname

    @property
    def log_stream(self) -> str:
        return str(self.container.log_path)

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HopReply:
        connection = self._connection(timeout)
        try:
            connection.sock.settimeout(timeout)
            connection.request("POST", "/invocations", body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError:
            connection.close()
            raise HopTimedOut() from None
        except (OSError, http.client.HTTPException) as error:
            connection.close()
            raise HopFailed(self._lost(error)) from None
        if response.will_close:
            connection.close()
        else:
            self._release(connection)
        return HopReply(response.status, response.msg, data)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        """An idle connection still open, else a new one (connect within CONNECT_SECONDS)."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                break
            if _still_open(connection.sock):
                return connection
            connection.close()
        connection = http.client.HTTPConnection(
            *self._address, timeout=min(timeout, CONNECT_SECONDS)
        )
        try:
            connection.connect()  # http.client sets TCP_NODELAY
        except TimeoutError:
            raise HopTimedOut() from None
        except OSError as error:
            raise HopFailed(self._lost(error)) from None
        return connection

    def _release(self, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < POOL_SIZE:
                self._idle.append(connection)
                return
        connection.close()

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
        for connection in idle:
            connection.close()


def _still_open(sock: socket.socket | None) -> bool:
    """Whether an idle keep-alive socket can take a request: nothing to read, not closed.

    The peer's FIN (or an unsolicited answer) makes it readable; a live idle one is not.
    A poll, not a peeking recv: on a socket with a timeout Python waits before recv.
    """
    if sock is None:
        return False
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
