"""The serving worker's request code run in the test's own process, over 127.0.0.1.

`Worker` is `JsonErrorsDirectWorker` (what `inferline serve` runs) built without an
arbiter, serving one accepted connection in a thread with the worker's `handle` (the
loop `DirectThreadWorker._answer` runs, minus the epoll). `fast=False` is the same worker
with the fast path off: gunicorn's own parser and `wsgi.create` for every request, the
reference the fast path is compared with. Date is pinned, so answers compare bytewise.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gunicorn import util
from gunicorn.config import Config
from gunicorn.workers.gthread import TConn

from inferline.containers import http1
from inferline.containers.core.settings import Settings
from inferline.containers.server import JsonErrorsDirectWorker, gunicorn_options

DATE = "Tue, 14 Nov 2023 22:13:20 GMT"
READ_SECONDS = 30.0
WSGIApp = Callable[[dict[str, Any], Any], Iterable[bytes]]


def config(**settings: Any) -> Config:
    """The serving container's gunicorn settings, with `settings` on top."""
    cfg = Config()
    for name, value in gunicorn_options(Settings(model_dir=Path("/nowhere"))).items():
        cfg.set(name, value)
    cfg.set("accesslog", None)  # the test's own handler gets the lines (`Worker.access`)
    for name, value in settings.items():
        cfg.set(name, value)
    return cfg


class Worker:
    """One worker, its access lines kept in `access` (one list per worker)."""

    def __init__(self, app: WSGIApp, *, fast: bool, **settings: Any) -> None:
        cfg = config(**settings)
        log = cfg.logger_class(cfg)
        self.access: list[str] = []
        lines = self.access

        class Keep(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                lines.append(record.getMessage())

        self._handler = Keep()
        log.access_log.addHandler(self._handler)
        log.access_log.setLevel(logging.INFO)
        log.access_log.propagate = False
        log._access_log_enabled = True  # what accesslog="-" turns on, minus the stream
        self.worker = JsonErrorsDirectWorker(1, os.getppid(), [], None, 30, cfg, log)
        self.worker.wsgi = app
        self.worker._idle = {}
        self.worker.keepalived_conns = self.worker._idle
        self.worker.settle()
        if not fast:
            self.worker._limits = None
        assert (self.worker._limits is not None) == fast

    def close(self) -> None:
        self.worker.log.access_log.removeHandler(self._handler)
        self.worker.tmp.close()

    def serve(self, sock: socket.socket, address: Any, listener: socket.socket) -> bool:
        """Answer requests on an accepted `sock` until the worker closes it (`_answer`'s
        loop, a kept-alive connection waiting in recv rather than in the epoll)."""
        conn = TConn(self.worker.cfg, sock, address, listener.getsockname())
        while self.worker.handle(conn):
            pass  # kept alive: the next request (a stopping worker's gets Connection: close)
        if sock.fileno() != -1:  # as `_close`: an answer that failed once started closed it
            conn.close(graceful=True)
        return False


@contextmanager
def pinned_date() -> Iterator[None]:
    """Every Date header the same text (gunicorn formats it through util.http_date)."""
    original = util.http_date
    util.http_date = lambda timestamp=None: DATE
    try:
        yield
    finally:
        util.http_date = original


_listeners: list[socket.socket] = []  # one port for every worker: SERVER_PORT compares


@contextmanager
def connection(worker: Worker) -> Iterator[socket.socket]:
    """A client socket to `worker`, served in a thread until either side ends it."""
    if not _listeners:
        _listeners.append(socket.create_server(("127.0.0.1", 0)))
    listener = _listeners[0]
    client = socket.create_connection(listener.getsockname(), timeout=READ_SECONDS)
    accepted, address = listener.accept()
    thread = threading.Thread(target=worker.serve, args=(accepted, address, listener))
    thread.start()
    try:
        yield client
    finally:
        client.close()
        thread.join(READ_SECONDS)
        assert not thread.is_alive()


def exchange(worker: Worker, raw: bytes) -> bytes:
    """Send `raw` on a new connection, end the sending side, read every answer."""
    with connection(worker) as client:
        client.sendall(raw)
        client.shutdown(socket.SHUT_WR)
        return read_all(client)


def read_all(client: socket.socket) -> bytes:
    chunks = []
    while chunk := client.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def count_fast(worker: Worker) -> Callable[[], int]:
    """How many requests `worker` has served on the fast path so far (a counter), lean
    ones (`count_lean`) included."""
    count = [0]
    serve, serve_lean = worker.worker._serve, worker.worker._serve_lean

    def counted(req: http1.FastRequest, conn: TConn) -> bool:
        count[0] += 1
        return serve(req, conn)

    def counted_lean(req: http1.FastRequest, body: bytes, conn: TConn) -> bool:
        count[0] += 1
        return serve_lean(req, body, conn)

    worker.worker._serve = counted  # type: ignore[method-assign]
    worker.worker._serve_lean = counted_lean  # type: ignore[method-assign]
    return lambda: count[0]
