"""The gunicorn worker of a serving container: gthread's request code, without its hand-off.

gunicorn's gthread worker waits for every request in its main thread (a selector), hands
the connection to a pool thread, and gets it back through a pipe and the main thread when
the answer is written: per request, two thread switches and a pipe write on top of the
work, which profiling showed as a large share of a pipeline hop (docs/benchmarks.md,
"Per hop"). This worker keeps gthread's own per-connection code (`TConn`, `handle`,
`handle_request`: parsing, limits, keep-alive, the access log; with less Python per
request, `containers/fastpath.py`) and changes who waits: each of the `threads` threads
waits on one shared epoll in which every idle connection is registered one-shot, so the
thread a request wakes is the thread that answers it, and it re-arms the connection
afterwards. The main thread beats the heart for the arbiter, closes connections idle
past the keep-alive, and stops gracefully (in-flight requests finish; a request on a
kept-alive connection meanwhile gets Connection: close).

Linux only (epoll): `available()` says whether it can run; elsewhere the server uses
gthread.
"""

from __future__ import annotations

import errno
import os
import select
import threading
import time
from typing import Any

from gunicorn.http.parser import Parser
from gunicorn.workers import base, gthread
from gunicorn.workers.gthread import TConn

from inferline.containers.fastpath import DEFER, FastPathWorker

HEARTBEAT_SECONDS = 1.0  # the main thread's loop: heartbeat, idle sweep, stop check
POLL_SECONDS = 1.0  # a serving thread re-checks whether the worker is stopping
# gthread's own: how long a stopping worker keeps an idle connection (not in the stubs)
STOP_KEEPALIVE_LINGER: float = gthread.STOP_KEEPALIVE_LINGER  # type: ignore[attr-defined]
_ONE_SHOT = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0


def available() -> bool:
    """Whether this platform has epoll (Linux); elsewhere gthread serves."""
    return hasattr(select, "epoll")


class DirectThreadWorker(FastPathWorker):
    """gthread whose pool threads wait for requests themselves (no hand-off per request)."""

    def init_process(self) -> None:
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._listeners: dict[int, Any] = {}
        self._open: dict[int, TConn] = {}  # every client connection, by file descriptor
        self._idle: dict[int, TConn] = {}  # waiting in the epoll, oldest first
        self._accepting = False
        self._stopped = False  # set once, read by the serving threads
        # gthread's handle_request closes after the answer when len() of these is too high
        self.keepalived_conns = self._idle  # type: ignore[assignment]  # it only takes len()
        base.Worker.init_process(self)  # gthread's would build its pool and selector

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.alive = False
        os.write(self.PIPE[1], b"1")  # wake the main thread's wait

    def handle_quit(self, sig: int, frame: Any) -> None:
        base.Worker.handle_quit(self, sig, frame)

    def run(self) -> None:
        for listener in self.sockets:
            listener.setblocking(False)
            self._listeners[listener.fileno()] = listener
        self._set_accepting(True)
        threads = [
            threading.Thread(target=self._serve_events, name=f"inferline-serve-{index}")
            for index in range(self.cfg.threads)
        ]
        for thread in threads:
            thread.daemon = True
            thread.start()
        while self.alive:
            self.notify()
            self._wait(HEARTBEAT_SECONDS)
            if not self.is_parent_alive():
                break
            self._close_idle(time.monotonic())
        self._stop()

    def _wait(self, seconds: float) -> None:
        """Sleep up to `seconds`, or until a signal handler writes to the wake-up pipe."""
        ready, _, _ = select.select([self.PIPE[0]], [], [], seconds)
        if ready:
            try:
                os.read(self.PIPE[0], 64)
            except BlockingIOError:
                pass

    def _stop(self) -> None:
        """Stop accepting, let in-flight requests finish, then close what is left."""
        with self._lock:
            self._set_accepting(False)
            linger = time.monotonic() + STOP_KEEPALIVE_LINGER
            for conn in self._idle.values():
                conn.timeout = min(conn.timeout or linger, linger)
        deadline = time.monotonic() + self.cfg.graceful_timeout
        while self._open and time.monotonic() < deadline:
            self.notify()
            self._close_idle(time.monotonic())
            self._wait(0.05)
        self._stopped = True
        with self._lock:
            leftover = list(self._open.values())
            self._open.clear()
            self._idle.clear()
        for conn in leftover:
            conn.close()
        for listener in self._listeners.values():
            listener.close()

    def _set_accepting(self, accepting: bool) -> None:
        """Arm or disarm the listeners (caller holds the lock, or no thread runs yet)."""
        if accepting == self._accepting:
            return
        for fd in self._listeners:
            if accepting:
                self._epoll.register(fd, _ONE_SHOT)
            else:
                self._epoll.unregister(fd)
        self._accepting = accepting

    def _serve_events(self) -> None:
        """A serving thread: wait for one ready socket, answer it, repeat."""
        while not self._stopped:
            try:
                events = self._epoll.poll(POLL_SECONDS, 1)
            except OSError:  # the epoll is closed: the worker is stopping
                return
            for fd, _ in events:
                if fd in self._listeners:
                    self._accept(self._listeners[fd])
                    continue
                with self._lock:
                    conn = self._idle.pop(fd, None)
                if conn is not None:  # else closed as idle meanwhile
                    self._answer(conn)

    def _accept(self, listener: Any) -> None:
        try:
            sock, address = listener.accept()
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                self.log.exception("accept failed")
            sock = None
        with self._lock:
            if sock is not None:
                conn = TConn(self.cfg, sock, address, listener.getsockname())
                self._open[sock.fileno()] = conn
                self._park(conn, register=True)
            if self._accepting and len(self._open) < self.worker_connections:
                self._epoll.modify(listener.fileno(), _ONE_SHOT)
            else:
                self._set_accepting(False)

    def _answer(self, conn: TConn) -> None:
        """Answer the requests waiting on `conn` (gthread's `handle`), then park or close it."""
        fd = conn.sock.fileno()  # a socket gunicorn closed after a failed answer has none
        while True:
            kept = self.handle(conn)
            if kept is DEFER:  # a new connection sent nothing within gthread's wait
                break
            if not kept:
                self._close(conn, fd)
                return
            # The body drain may have read into a pipelined request: serve it now.
            parser = conn.parser
            if not isinstance(parser, Parser) or not parser.unreader.buf.getvalue():
                break
        with self._lock:
            self._park(conn, register=False)

    def _park(self, conn: TConn, *, register: bool) -> None:
        """Put `conn` in the epoll until its next request (caller holds the lock)."""
        conn.set_timeout()
        if not self.alive:
            conn.timeout = min(conn.timeout or 0.0, time.monotonic() + STOP_KEEPALIVE_LINGER)
        fd = conn.sock.fileno()
        self._idle[fd] = conn
        if register:
            self._epoll.register(fd, _ONE_SHOT)
        else:
            self._epoll.modify(fd, _ONE_SHOT)

    def _close(self, conn: TConn, fd: int, *, graceful: bool = True) -> None:
        """Forget `conn` (by `fd`, its socket's number while open) and close it, unless
        gunicorn has (`util.close_graceful` after an answer that failed once started)."""
        with self._lock:
            self._forget(fd)
        if conn.sock.fileno() != -1:
            conn.close(graceful=graceful)

    def _forget(self, fd: int) -> None:
        """Drop a connection from the books and the epoll (caller holds the lock)."""
        self._open.pop(fd, None)
        self._idle.pop(fd, None)
        try:
            self._epoll.unregister(fd)
        except (OSError, ValueError):
            pass
        if self.alive and not self._accepting and len(self._open) < self.worker_connections:
            self._set_accepting(True)

    def _close_idle(self, now: float) -> None:
        """Close connections idle past their keep-alive (the oldest come first)."""
        expired = []
        with self._lock:
            for fd, conn in list(self._idle.items()):
                if conn.timeout is not None and conn.timeout > now:
                    break
                self._forget(fd)
                expired.append(conn)
        for conn in expired:
            conn.close()
