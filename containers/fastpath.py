"""gthread's per-request code with less Python per request: the serving worker's base.

Per request, gunicorn reads its settings through `Config.__getattr__` (a failed
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

A request whose body came whole in the same read as its head (a pipeline hop's one row)
is served leaner still (`_serve_lean`): no `Body` or unreader for the body (the app reads
a `BytesIO`), and the answer kept until the app returns (`http1.LeanAnswer`), so that a
plain one (a known status and headers, a Content-Length, one bytes body) is formatted and
sent in one piece, its access line written from its values, without gunicorn's `Response`;
any other answer is gunicorn's `Response`'s, given the same status and headers. The next
request on such a connection is read with one `recv`. 6-10 % of a container's CPU per
request (docs/benchmarks.md, "The lean path").

gunicorn writes a response's head and body in two sends; the client then reads the head
alone and waits again for the body, one more wake-up per hop. Here the head is held back
until the body's first bytes (`_HeadWithBody`), so a small answer leaves in one send.
"""

from __future__ import annotations

import errno
import io
import os
import ssl
import time
from collections.abc import Callable
from datetime import timedelta
from logging import DEBUG
from typing import Any, TypeGuard, cast

from gunicorn import util
from gunicorn.config import Config, PostRequest, PreRequest
from gunicorn.http import errors as http_errors
from gunicorn.http.parser import RequestParser
from gunicorn.workers import gthread
from gunicorn.workers.gthread import TConn, ThreadWorker

from inferline.containers import http1
from inferline.containers.httpdate import PerSecondDate

# gthread's own "no request yet, wait for data" (missing from the gunicorn stubs)
DEFER: object = gthread._DEFER  # type: ignore[attr-defined]  # not in types-gunicorn
DATA_SECONDS: float = gthread.DEFAULT_WORKER_DATA_TIMEOUT
_DEFAULT_PRE_REQUEST = PreRequest.default
_DEFAULT_POST_REQUEST = PostRequest.default
COALESCE_BYTES = 64 * 1024  # a larger body is sent apart from the head, not copied onto it
# One read for a request after a lean one: a body of up to about this much can come with
# its head (gunicorn's own reads take 8 KB); the rest is read as gunicorn reads it.
READ_BYTES = 64 * 1024


def settle(cfg: Config) -> None:
    """Make each of `cfg`'s settings a plain attribute holding its value, as read now.

    An instance attribute is found before `Config.__getattr__` is asked (which looks the
    setting up by name each time); properties (`is_ssl`, `sendfile`...) stay properties,
    reading the settled values. For a worker's config only: `Config.set` after this is
    not seen.
    """
    for name, setting in cfg.settings.items():
        cfg.__dict__[name] = setting.get()  # past Config.__setattr__, which refuses names


class FastPathWorker(ThreadWorker):
    """gthread's request code (`handle`, `handle_request`) with the fast and lean paths;
    how connections are waited for is the subclass's (`worker.DirectThreadWorker`)."""

    _limits: http1.Limits | None = None  # set by `settle`: None, no fast path
    _access_line: AccessLine | None = None  # set by `settle`: None, no lean path
    _multiprocess = False

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
        self._access_line = lean_access_line(self.log, self.cfg) if self._limits else None

    def handle(self, conn: TConn) -> Any:
        """gthread's `handle`, with a request `http1.parse` takes served without gunicorn's
        parser; any other goes to gthread's `handle` with the bytes read so far put back."""
        limits = self._limits
        if limits is None:
            return super().handle(conn)
        req = None
        try:
            parser = conn.parser
            if _after_lean(parser):  # nothing held back, nothing left of the previous one
                unreader = parser.unreader
                data = conn.sock.recv(READ_BYTES)
            else:
                if not conn.initialized and not conn.data_ready:  # as gthread's handle
                    if not conn.wait_for_data(DATA_SECONDS):
                        return DEFER
                if conn.sock.gettimeout() is not None:  # setblocking(True): a system call
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
            number = parser.req_count + 1
            read = http1.read_head(data, unreader, limits, self.cfg, conn.client, number)
            if read is None:
                unreader.unread(data)
                return super().handle(conn)
            req, end, length = read
            parser.req_count = number
            after = end + length  # where the body ends in the bytes read, if it is all there
            if self._access_line is not None and len(data) >= after and self._lean_now():
                if len(data) > after:
                    unreader.unread(data[after:])  # a pipelined request's first bytes
                parser.mesg = None  # nothing of this one is left to read
                return self._serve_lean(req, data[end:after], conn)
            http1.attach_body(req, data, end, length)
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
            request_start = time.perf_counter()
            resp = http1.FastResponse(req, conn.sock, self.cfg)
            peer = conn.inferline_peer  # type: ignore[attr-defined]  # set by handle
            environ = http1.environ(req, req.body, conn.sock, resp, peer, self._multiprocess)
            if self._must_close():
                resp.force_close()
            respiter = self.wsgi(environ, resp.start_response)  # type: ignore[arg-type]  # stubs
            return self._write_answer(resp, req, environ, respiter, request_start)
        except OSError:
            raise
        except (Exception, SystemExit):
            self._abandon_if_started(resp)
            raise
        finally:
            try:
                self.cfg.post_request(self, req, environ, resp)
            except Exception:
                self.log.exception("Exception in post_request hook")

    def _must_close(self) -> bool:
        """Count a request; whether its connection closes after it whatever it asked
        (gthread's: the worker restarting or stopping, no keep-alive, too many kept)."""
        self.nr += 1
        close = False
        if self.nr >= self.max_requests:
            if self.alive:
                self.log.info("Autorestarting worker after current request.")
                self.alive = False
            close = True
        if not self.alive or not self.cfg.keepalive:
            close = True
        elif len(self.keepalived_conns) >= self.max_keepalived:
            close = True
        return close

    def _write_answer(
        self,
        resp: http1.FastResponse,
        req: http1.FastRequest,
        environ: dict[str, Any],
        respiter: Any,
        request_start: float,
        *,
        hold_head: bool = False,
    ) -> bool:
        """gthread's `handle_request` from the app's answer on: written through `resp`, the
        access line, the answer closed; whether the connection stays open. `hold_head`:
        the head held for the body's first bytes, as `handle_request` has it (unless the
        app's own `write` sent it already)."""
        if hold_head and not resp.headers_sent:
            writer = _HeadWithBody(resp.sock)
            resp.sock = writer  # type: ignore[assignment]  # a socket's writing half, forwarded
            try:
                return self._write_answer(resp, req, environ, respiter, request_start)
            finally:
                try:
                    writer.flush()
                except OSError:
                    pass  # the connection is gone; `handle` deals with it
        try:
            if isinstance(respiter, environ["wsgi.file_wrapper"]):
                resp.write_file(respiter)
            else:
                for item in respiter:
                    resp.write(item)

            resp.close()
        finally:
            request_time = timedelta(seconds=time.perf_counter() - request_start)
            self.log.access(resp, req, environ, request_time)
            if hasattr(respiter, "close"):
                respiter.close()
        if resp.should_close():
            self.log.debug("Closing connection.")
            return False
        return True

    def _abandon_if_started(self, resp: http1.FastResponse | None) -> None:
        """gthread's answer to a failure once the answer has started: a 500 written after
        it would corrupt it (a timeout's abort is SystemExit), so the connection ends."""
        if resp is not None and resp.headers_sent:
            self.log.exception("Error handling request")
            util.close_graceful(resp.sock)
            raise StopIteration() from None

    def _lean_now(self) -> bool:
        """Whether `_serve_lean` may take a request now: gunicorn's own pre_request hook
        would only log, at debug level, which is off."""
        return not self.log.error_log.isEnabledFor(DEBUG)

    def _serve_lean(self, req: http1.FastRequest, body: bytes, conn: TConn) -> bool:
        """`_serve` for a request whose body came whole with its head, with gunicorn's
        default hooks: the body given to the app as a `BytesIO`, the app answering into an
        `http1.LeanAnswer`. A plain answer goes out in one send and its access line is
        written from its values; any other is written by gunicorn's `Response`, as `_serve`
        writes it. Built for one-row hops: none of gunicorn's per-request objects
        (`Body`, `Response`, the head held back) is made for them (docs/benchmarks.md)."""
        sock = conn.sock
        request_start = time.perf_counter()
        answer = http1.LeanAnswer(req, sock, self.cfg, self._must_close())
        peer = conn.inferline_peer  # type: ignore[attr-defined]  # set by handle
        environ = http1.environ(req, io.BytesIO(body), sock, answer, peer, self._multiprocess)
        try:
            respiter = self.wsgi(environ, answer.start_response)
            try:
                plain = answer.plain(respiter)
                resp = answer.gunicorns() if plain is None else None  # checks as gunicorn's
            except BaseException:
                if hasattr(respiter, "close"):
                    respiter.close()
                raise
            if resp is not None:
                return self._write_answer(
                    resp, req, environ, respiter, request_start, hold_head=True
                )
        except OSError:
            raise
        except (Exception, SystemExit):
            self._abandon_if_started(answer.response)
            raise
        assert plain is not None
        head, content, close = plain
        if len(content) <= COALESCE_BYTES:
            sock.sendall(head + content)
        else:
            sock.sendall(head)
            sock.sendall(content)
        took = time.perf_counter() - request_start
        status = answer.status
        self._access_line(  # type: ignore[misc]  # set when the lean path is on (settle)
            environ["REQUEST_METHOD"],
            environ["PATH_INFO"],
            status.split(None, 1)[0],
            len(content),
            int(took * 1_000_000),
            req.headers,
        )
        if hasattr(respiter, "close"):
            respiter.close()  # a list subclass's own
        if close:
            self.log.debug("Closing connection.")
            return False
        return True


def fast_path_applies(cfg: Config) -> bool:
    """Whether `http1.parse` may take this worker's requests: plain HTTP/1 over TCP, as
    the serving container runs (TLS, uWSGI and the PROXY protocol are gunicorn's), and no
    SCRIPT_NAME in the environment (read once here; gunicorn reads it per request)."""
    plain = not cfg.is_ssl and cfg.proxy_protocol == "off" and cfg.protocol == "http"
    return plain and not os.environ.get("SCRIPT_NAME")


# An access line from its values: method, path, status code, bytes sent, microseconds,
# the request's headers (gunicorn's upper-case names).
AccessLine = Callable[[str, str, str, int, int, list[tuple[str, str]]], None]


def lean_access_line(log: Any, cfg: Config) -> AccessLine | None:
    """The writer of a lean request's access line, when the lean path may run: the logger
    writes lines from their values (`direct_access_line`: the serving container's
    logger, for its own format) and both of gunicorn's per-request hooks are its own
    (the lean path calls neither: pre_request only logs at debug level, post_request
    does nothing)."""
    direct = getattr(log, "direct_access_line", None)
    if direct is None or cfg.pre_request is not _DEFAULT_PRE_REQUEST:
        return None
    if cfg.post_request is not _DEFAULT_POST_REQUEST:
        return None
    line: AccessLine | None = direct()
    return line


def _after_lean(parser: object) -> TypeGuard[RequestParser]:
    """Whether the last request on `parser`'s connection was served lean and left nothing
    in hand: gunicorn's parser keeps its last request in `mesg`, the fast path too; the
    lean path alone leaves None after a request (and the checks above passed then)."""
    return (
        type(parser) is RequestParser
        and parser.mesg is None
        and parser.req_count > 0
        and not parser.unreader.buf.tell()
    )


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
