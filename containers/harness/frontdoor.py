"""The front door: one production WSGI server, in a thread of this process, for the harness.

`LocalEndpoint` and the control plane both serve through it::

    door = frontdoor.start(app, "127.0.0.1", 0)
    door.port   # the bound port (0 picks a free one)
    door.stop()

The server is cheroot's (CherryPy's HTTP/1.1 server): it keeps client connections
alive, parks idle ones in a selector instead of holding a thread each, and runs the
app on a pool of threads, so the router, the metrics and the crash restarts stay in
this one process's memory. docs/benchmarks.md ("Performance work") compares it with
werkzeug's development server (a new connection per call) and waitress.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from cheroot import wsgi

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
else:
    WSGIApplication = Callable[..., Iterable[bytes]]

THREADS = 16  # busy requests at once; idle keep-alive connections do not take a thread
IDLE_SECONDS = 75.0  # longer than any client's idle pool, so a reused connection is open
QUEUE = 128  # listen backlog: bursts of new connections wait instead of being refused
STOP_SECONDS = 5.0


class _Server(wsgi.Server):
    """cheroot's WSGI server, closing the socket of a failed bind."""

    @staticmethod
    def bind_socket(socket_: socket.socket, bind_addr: tuple[str, int]) -> socket.socket:
        try:
            bind = wsgi.Server.bind_socket  # cheroot's own, unannotated
            bound: socket.socket = bind(socket_, bind_addr)  # type: ignore[no-untyped-call]
            return bound
        except OSError:
            socket_.close()  # cheroot leaves the socket of a failed bind open
            raise


class FrontDoor:
    """A running server; `stop()` closes the listening socket and joins its threads."""

    def __init__(self, server: _Server, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread

    @property
    def port(self) -> int:
        bound: Any = self._server.bind_addr
        return int(bound[1])

    def stop(self) -> None:
        self._server.stop()
        self._thread.join(STOP_SECONDS)


def start(app: WSGIApplication, host: str, port: int, *, name: str = "inferline") -> FrontDoor:
    """Bind `host:port` (raises OSError if taken), then serve `app` from a daemon thread."""
    server = _Server(
        (host, port),
        app,
        numthreads=THREADS,
        server_name=name,
        request_queue_size=QUEUE,
        timeout=int(IDLE_SECONDS),
        shutdown_timeout=int(STOP_SECONDS),
    )
    server.prepare()  # binds now, so a taken port fails here and `port` is the real one
    thread = threading.Thread(target=server.serve, name=f"{name}-frontdoor", daemon=True)
    thread.start()
    return FrontDoor(server, thread)
