"""The gunicorn worker of a serving container: gthread's request code, without its hand-off.

gunicorn's gthread worker waits for every request in its main thread (a selector), hands
the connection to a pool thread, and gets it back through a pipe and the main thread when
the answer is written: per request, two thread switches and a pipe write on top of the
work, which profiling showed as a large share of a pipeline hop (docs/benchmarks.md,
"Per hop"). This worker keeps gthread's own per-connection code (`TConn`, `handle`,
`handle_request`: parsing, limits, keep-alive, the access log) and changes who waits:
each of the `threads` threads waits on one shared epoll in which every idle connection
is registered one-shot, so the thread a request wakes is the thread that answers it,
and it re-arms the connection afterwards. The main thread beats the heart for the
arbiter, closes connections idle past the keep-alive, and stops gracefully (in-flight
requests finish; a request on a kept-alive connection meanwhile gets Connection: close).

gunicorn writes a response's head and body in two sends; the client then reads the head
alone and waits again for the body, one more wake-up per hop. Here the head is held back
until the body's first bytes (`_HeadWithBody`), so a small answer leaves in one send.

Per request, gunicorn also reads its settings through `Config.__getattr__` (a failed
attribute lookup, then the setting: about 1 µs each, a few dozen a request) and formats
the Date header anew. A worker's settings never change after the fork (a reload starts
new workers), so `settle` copies their values onto the worker's config once, and the
Date text is made once a second (`containers/httpdate.py`, as nginx and uvicorn do), the same
text gunicorn's `http_date` gives within that second.

Parsing is the other large share of a request: gunicorn's `Request` runs limits, header
policy and body set-up in Python for every request. `handle` reads the head of a plainly
well-formed request with httptools instead (`http1.parse`, into gunicorn's own `Request`
class), builds its environ and answer with less Python (`http1.environ`, `FastResponse`,
`FastBody`) and serves it with gthread's own `handle_request` steps (`_serve`); any other
request (malformed, over a limit, chunked, Expect, Upgrade, a head not read whole...) goes
to gthread's `handle` with the bytes read put back, and gets gunicorn's answer. The same
bytes, environ and access line either way (tests/server/test_fast_path.py).

Linux only (epoll): `available()` says whether it can run; elsewhere the server uses
gthread.
"""

from __future__ import annotations

import errno
import os
import select
import ssl
import threading
import time
from collections.abc import Callable
from datetime import datetime
from logging import DEBUG
from typing import Any, cast

from gunicorn import util
from gunicorn.config import Config, PreRequest
from gunicorn.http import errors as http_errors
from gunicorn.http.parser import Parser, RequestParser
from gunicorn.workers import base, gthread
from gunicorn.workers.gthread import TConn, ThreadWorker

from inferline.containers import http1
from inferline.containers.httpdate import PerSecondDate

HEARTBEAT_SECONDS = 1.0  # the main thread's loop: heartbeat, idle sweep, stop check
POLL_SECONDS = 1.0  # a serving thread re-checks whether the worker is stopping
# gthread's own: "no request yet, wait for data" and how long a stopping worker keeps an
# idle connection (both missing from the gunicorn stubs).
_DEFER: object = gthread._DEFER  # type: ignore[attr-defined]  # not in types-gunicorn
STOP_KEEPALIVE_LINGER: float = gthread.STOP_KEEPALIVE_LINGER  # type: ignore[attr-defined]  # same
DATA_SECONDS: float = gthread.DEFAULT_WORKER_DATA_TIMEOUT
_DEFAULT_PRE_REQUEST = PreRequest.default
COALESCE_BYTES = 64 * 1024  # a larger body is sent apart from the head, not copied onto it
_ONE_SHOT = select.EPOLLIN | select.EPOLLONESHOT if hasattr(select, "epoll") else 0


def available() -> bool:
    """Whether this platform has epoll (Linux); elsewhere gthread serves."""
    return hasattr(select, "epoll")


def settle(cfg: Config) -> None:
    """Make each of `cfg`'s settings a plain attribute holding its value, as read now.

    An instance attribute is found before `Config.__getattr__` is asked (which looks the
    setting up by name each time); properties (`is_ssl`, `sendfile`...) stay properties,
    reading the settled values. For a worker's config only: `Config.set` after this is
    not seen.
    """
    for name, setting in cfg.settings.items():
        cfg.__dict__[name] = setting.get()  # past Config.__setattr__, which refuses names


class DirectThreadWorker(ThreadWorker):
    """gthread whose pool threads wait for requests themselves (no hand-off per request)."""

    def init_process(self) -> None:
        self._epoll = select.epoll()
        self._lock = threading.Lock()
        self._listeners: dict[int, Any] = {}
        self._open: dict[int, TConn] = {}  # every client connection, by file descriptor
        self._idle: dict[int, TConn] = {}  # waiting in the epoll, oldest first
        self._accepting = False
        self._stopped = False  # set once, read by the serving threads
        self._limits: http1.Limits | None = None  # set by `settle`: None, no fast path
        self._multiprocess = False
        # gthread's handle_request closes after the answer when len() of these is too high
        self.keepalived_conns = self._idle  # type: ignore[assignment]  # it only takes len()
        base.Worker.init_process(self)  # gthread's would build its pool and selector

    def init_signals(self) -> None:
        """gunicorn's, then this worker's settled settings and Date cache: done after the
        handlers are in place, so a SIGTERM right after the fork is not lost to the
        master's inherited handlers (the worker would then wait for the master's kill)."""
        super().init_signals()
        self.settle()
        util.http_date = PerSecondDate()  # this worker process's own (gunicorn's: per call)

    def settle(self) -> None:
        """Settle the config (`settle`) and what the fast path reads of it."""
        settle(self.cfg)
        self._limits = http1.Limits(self.cfg) if fast_path_applies(self.cfg) else None
        self._multiprocess = self.cfg.workers > 1

    def handle_exit(self, sig: int, frame: Any) -> None:
        self.alive = False
        os.write(self.PIPE[1], b"1")  # wake the main thread's wait

    def handle_quit(self, sig: int, frame: Any) -> None:
        base.Worker.handle_quit(self, sig, frame)

    def handle(self, conn: TConn) -> Any:
        """gthread's `handle`, with a request `http1.parse` takes served without gunicorn's
        parser; any other goes to gthread's `handle` with the bytes read so far put back."""
        limits = self._limits
        if limits is None:
            return super().handle(conn)
        req = None
        try:
            if not conn.initialized and not conn.data_ready:  # as gthread's handle
                if not conn.wait_for_data(DATA_SECONDS):
                    return _DEFER
            if conn.sock.gettimeout() is not None:  # setblocking(True) is a system call
                conn.sock.setblocking(True)
            conn.init()
            parser = conn.parser
            peer = _peer_environ(conn)
            if conn.is_http2 or type(parser) is not RequestParser or peer is None:
                return super().handle(conn)
            # gunicorn's Parser.__next__: the previous request may end the connection
            previous = parser.mesg
            if previous is not None and previous.should_close():
                raise StopIteration()
            if previous is not None and not http1.drained(previous.body):
                finish_body = cast(Callable[[], bool], parser.finish_body)  # stubs: None
                if not finish_body():
                    raise StopIteration()
            unreader = parser.unreader
            data = unreader.read()  # what gunicorn's parser reads first
            if not data:
                raise StopIteration()
            req = http1.parse(data, unreader, limits, self.cfg, conn.client, parser.req_count + 1)
            if req is None:
                unreader.unread(data)
                return super().handle(conn)
            parser.req_count += 1
            parser.mesg = req
            kept = self.handle_request(req, conn)
            if kept and http1.drained(req.body):
                return True  # what gthread's drain (`_keepalive_after`) says of a read body
            return self._keepalive_after(conn, kept)  # type: ignore[attr-defined]  # not in types-gunicorn
        # gthread's handle's own answers to each failure
        except http_errors.NoMoreData as e:
            self.log.debug("Ignored premature client disconnection. %s", e)
        except StopIteration as e:
            self.log.debug("Closing connection. %s", e)
        except ssl.SSLError as e:  # no TLS on this path; kept as gthread has it
            if e.args[0] == ssl.SSL_ERROR_EOF:
                self.log.debug("ssl connection closed")
                conn.sock.close()
            else:
                self.log.debug("Error processing SSL request.")
                self.handle_error(req, conn.sock, conn.client, e)
        except OSError as e:
            if e.errno not in (errno.EPIPE, errno.ECONNRESET, errno.ENOTCONN):
                self.log.exception("Socket error processing request.")
            elif e.errno == errno.ECONNRESET:
                self.log.debug("Ignoring connection reset")
            elif e.errno == errno.ENOTCONN:
                self.log.debug("Ignoring socket not connected")
            else:
                self.log.debug("Ignoring connection epipe")
        except Exception as e:
            self.handle_error(req, conn.sock, conn.client, e)
        return False

    def handle_request(self, req: Any, conn: TConn) -> bool:
        """gthread's, writing through `_HeadWithBody` (the head goes out with the body)."""
        sock = conn.sock
        writer = _HeadWithBody(sock)
        conn.sock = writer  # type: ignore[assignment]  # a socket's writing half, forwarded
        try:
            if type(req) is http1.FastRequest:
                kept = self._serve(req, conn)
            else:
                kept = super().handle_request(req, conn)
        finally:
            conn.sock = sock
            try:
                writer.flush()
            except OSError:
                pass  # the connection is gone; gthread's handle deals with it
        return kept

    def _serve(self, req: http1.FastRequest, conn: TConn) -> bool:
        """gthread's `handle_request` for a request `http1.parse` made: the environ made by
        `http1.environ` instead of `wsgi.create`, the rest as gthread does it."""
        environ: dict[str, Any] = {}
        resp = None
        try:
            hook = self.cfg.pre_request
            # gunicorn's own hook only logs at debug level (three calls to find it is off)
            if hook is not _DEFAULT_PRE_REQUEST or self.log.error_log.isEnabledFor(DEBUG):
                hook(self, req)
            request_start = datetime.now()
            resp = http1.FastResponse(req, conn.sock, self.cfg)
            environ = http1.environ(req, conn.sock, resp, conn.inferline_peer, self._multiprocess)  # type: ignore[attr-defined]  # set by handle
            self.nr += 1
            if self.nr >= self.max_requests:
                if self.alive:
                    self.log.info("Autorestarting worker after current request.")
                    self.alive = False
                resp.force_close()

            if not self.alive or not self.cfg.keepalive:
                resp.force_close()
            elif len(self.keepalived_conns) >= self.max_keepalived:
                resp.force_close()

            respiter = self.wsgi(environ, resp.start_response)  # type: ignore[arg-type]  # stubs
            try:
                if isinstance(respiter, environ["wsgi.file_wrapper"]):
                    resp.write_file(respiter)
                else:
                    for item in respiter:
                        resp.write(item)

                resp.close()
            finally:
                request_time = datetime.now() - request_start
                self.log.access(resp, req, environ, request_time)
                if hasattr(respiter, "close"):
                    respiter.close()

            if resp.should_close():
                self.log.debug("Closing connection.")
                return False
        except OSError:
            raise
        except (Exception, SystemExit):
            if resp and resp.headers_sent:
                # Timeout abort is SystemExit. If we already started the
                # response, writing a 500 on the same socket corrupts it.
                self.log.exception("Error handling request")
                util.close_graceful(conn.sock)
                raise StopIteration() from None
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")

        return True

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
        while True:
            kept = self.handle(conn)
            if kept is _DEFER:  # a new connection sent nothing within gthread's wait
                break
            if not kept:
                self._close(conn)
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

    def _close(self, conn: TConn, *, graceful: bool = True) -> None:
        with self._lock:
            self._forget(conn.sock.fileno())
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


def fast_path_applies(cfg: Config) -> bool:
    """Whether `http1.parse` may take this worker's requests: plain HTTP/1 over TCP, as
    the serving container runs (TLS, uWSGI and the PROXY protocol are gunicorn's), and no
    SCRIPT_NAME in the environment (read once here; gunicorn reads it per request)."""
    plain = not cfg.is_ssl and cfg.proxy_protocol == "off" and cfg.protocol == "http"
    return plain and not os.environ.get("SCRIPT_NAME")


def _peer_environ(conn: TConn) -> dict[str, str] | None:
    """`http1.peer_environ` of `conn`, made on its first request."""
    peer: dict[str, str] | None = getattr(conn, "inferline_peer", None)
    if peer is None:
        peer = http1.peer_environ(conn.client, conn.server)
        conn.inferline_peer = peer  # type: ignore[attr-defined]  # this worker's own
    return peer


class _HeadWithBody:
    """A client socket as gunicorn's Response writes to it: the first `sendall` (the head)
    is held and sent with the next one (the body) in one send; anything else is the
    socket's own (a send or sendfile flushes what is held first)."""

    def __init__(self, sock: Any) -> None:
        self._sock = sock
        self._held = b""
        self._first = True

    def sendall(self, data: bytes, flags: int = 0) -> None:
        if self._first:
            self._first = False
            self._held = bytes(data)
            return
        if self._held and len(data) <= COALESCE_BYTES:
            data, self._held = self._held + data, b""
        self.flush()
        self._sock.sendall(data, flags)

    def send(self, data: bytes, flags: int = 0) -> int:
        self.flush()
        sent: int = self._sock.send(data, flags)
        return sent

    def sendfile(self, *args: Any, **kwargs: Any) -> int:
        self.flush()
        sent: int = self._sock.sendfile(*args, **kwargs)
        return sent

    def flush(self) -> None:
        """Send what is held (the head of a response without a body, at its end)."""
        if self._held:
            held, self._held = self._held, b""
            self._sock.sendall(held)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)
