"""The front door's connections, each request answered by the thread it wakes (no hand-off).

cheroot's `ConnectionManager` waits for every ready connection in one selector thread and
hands it to the server's pool through a queue; the pool thread answers, then registers it
back: per request two `epoll_ctl` calls, a Condition hand-off and a second thread's
wake-up. Without them the abalone pipeline's one-row p50 is about 0.2 ms lower, 2.64 ->
2.44 ms (docs/benchmarks.md, "The front door's threads"). `DirectConnections` keeps
cheroot's own per-connection code (`_from_server_socket`, `HTTPConnection.communicate`)
and changes who waits, as the containers' worker does (`containers/worker.py`): `threads`
serving threads wait on one epoll in which the listening socket and every idle connection
are registered one-shot, so the thread a request wakes answers it and re-arms the
connection; they start with the manager (cheroot's `prepare`). The thread cheroot runs
`run` in closes connections idle past the server's timeout, and stops. A new connection
waits in the epoll for its first request like any idle one, so one that sends nothing
holds no thread. Linux only (epoll); elsewhere cheroot's own manager.
"""

from __future__ import annotations

import contextlib
import select
import threading
import time
from typing import Any

from cheroot.connections import ConnectionManager

POLL_SECONDS = 0.5  # a serving thread re-checks whether the door is stopping
_ONE_SHOT = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0


def available() -> bool:
    """Whether this platform has epoll (Linux)."""
    return hasattr(select, "epoll")


class DirectConnections(ConnectionManager):
    """cheroot's `ConnectionManager`, its requests answered by the threads waiting for them.

    The server's own pool then only answers what cheroot queues there itself (nothing,
    with this manager): the door gives it one thread.
    """

    def __init__(self, server: Any, threads: int) -> None:  # not cheroot's: no selector
        self.server = server
        self._serving = False
        self._stop_requested = False
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._idle: dict[int, Any] = {}  # fd -> connection waiting in the epoll
        self._listener = server.socket.fileno()
        self._epoll.register(self._listener, _ONE_SHOT)
        self._started = [
            threading.Thread(target=self._serve_events, name=f"frontdoor-{index}", daemon=True)
            for index in range(threads)
        ]
        for thread in self._started:
            thread.start()

    def run(self, expiration_interval: float) -> None:
        """Sweep idle connections until stopped (the serving threads run from the start)."""
        self._serving = True
        try:
            while not self._stop_requested:
                time.sleep(min(expiration_interval, POLL_SECONDS))
                self._expire(time.time() - self.server.timeout)
        finally:
            self._serving = False

    def _serve_events(self) -> None:
        """A serving thread: wait for one ready socket, answer it, repeat."""
        while not self._stop_requested:
            try:
                events = self._epoll.poll(POLL_SECONDS, 1)
            except (OSError, ValueError):  # the epoll is closed: the door is stopping
                return
            for fd, _ in events:
                if fd == self._listener:
                    self._accept()
                    continue
                with self._lock:
                    conn = self._idle.pop(fd, None)
                if conn is not None:  # else closed as idle meanwhile
                    self._answer(conn)

    def _accept(self) -> None:
        """One new connection (cheroot's accept), parked until it sends a request."""
        listener = self.server.socket
        if listener is None:  # stopping: cheroot's `stop` wakes the listener, then drops it
            return
        try:
            conn = self._from_server_socket(listener)  # type: ignore[attr-defined]  # cheroot's, not in its stubs
        finally:
            self._arm(self._listener)
        if conn is not None:
            self._park(conn)

    def _answer(self, conn: Any) -> None:
        """Answer the requests waiting on `conn`, then park it or close it (what the pool's
        thread and `put` do)."""
        try:
            while conn.communicate():
                if not self.server.ready:
                    break  # the door is stopping: cheroot's `put_conn` closes it
                if not conn.rfile.has_data():  # else a pipelined request is in hand
                    self._park(conn)
                    return
        except Exception:  # noqa: BLE001 - logged; the thread goes on serving the others
            self.server.error_log("Error answering a connection", traceback=True)
        conn.close()

    def _park(self, conn: Any) -> None:
        """Put `conn` in the epoll until its next request."""
        conn.last_used = time.time()
        fd = conn.socket.fileno()
        with self._lock:
            if not self._stop_requested:  # else `close` may be past: nothing would close it
                self._idle[fd] = conn
                self._arm(fd)
                return
        conn.close()  # accepted or answered as the door closed (stop's own wake-up, say)

    def _arm(self, fd: int) -> None:
        try:
            self._epoll.modify(fd, _ONE_SHOT)
        except FileNotFoundError:  # not registered yet (or its number was reused)
            with contextlib.suppress(OSError, ValueError):  # closed: the door is stopping
                self._epoll.register(fd, _ONE_SHOT)
        except (OSError, ValueError):
            pass  # the epoll is closed: the door is stopping

    def _expire(self, threshold: float) -> None:
        """Close connections idle since before `threshold` (the oldest come first)."""
        expired = []
        with self._lock:
            for fd, conn in list(self._idle.items()):
                if conn.last_used >= threshold:
                    break
                del self._idle[fd]
                expired.append(conn)
        for conn in expired:
            conn.close()  # which takes it out of the epoll

    def close(self) -> None:
        """Close the idle connections and the epoll; serving threads end within a poll."""
        with self._lock:
            self._stop_requested = True  # cheroot's `stop` has said so; `_park` reads it here
            idle, self._idle = list(self._idle.values()), {}
        for conn in idle:
            conn.close()
        self._epoll.close()

    @property
    def _num_connections(self) -> int:
        """Idle connections (cheroot counts what waits in its selector)."""
        return len(self._idle)
