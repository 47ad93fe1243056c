"""The front door: one production WSGI server, in a thread of this process, for the harness.

`LocalEndpoint` and the control plane both serve through it::

    door = frontdoor.start(app, "127.0.0.1", 0)
    door.port   # the bound port (0 picks a free one)
    door.stop()

The server is cheroot's (CherryPy's HTTP/1.1 server): it keeps client connections
alive, parks idle ones in an epoll instead of holding a thread each, and runs the app
on `THREADS` threads, each answering the request that wakes it (`doorthreads`: no
hand-off from a selector thread to a pool), so the router, the metrics and the crash
restarts stay in this one process's memory. docs/benchmarks.md ("Performance work") compares it with
werkzeug's development server (a new connection per call) and waitress.

Requests cheroot refuses itself, before the app, are answered in inferline's JSON
error shape (`core.refusal`, as gunicorn's are in a container) and the connection is
closed: a head over 16 KB (431), a body declared over InvokeEndpoint's 6 MB (413,
before a ``100 Continue`` invites it), a malformed request line (400). A chunked body
is read here, within the same limit, and handed to the app with its length: a bad
chunk is the front door's 400, not an exception inside the app.
"""

from __future__ import annotations

import io
import socket
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from cheroot import errors as cheroot_errors
from cheroot import server as cheroot_server
from cheroot import wsgi
from cheroot.makefile import MakeFile

from inferline.containers.core.container import too_large_message
from inferline.containers.core.protocol import MAX_PAYLOAD_BYTES
from inferline.containers.core.refusal import refusal
from inferline.containers.harness import doorthreads, socketfile
from inferline.containers.httpdate import PerSecondDate

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
else:
    WSGIApplication = Callable[..., Iterable[bytes]]

THREADS = 16  # busy requests at once; idle keep-alive connections do not take a thread
IDLE_SECONDS = 75.0  # longer than any client's idle pool, so a reused connection is open
QUEUE = 128  # listen backlog: bursts of new connections wait instead of being refused
STOP_SECONDS = 5.0
# The request line and headers together: Node's default, room for SigV4 headers with a
# session token and every InvokeEndpoint header at its longest.
MAX_HEAD_BYTES = 16 * 1024
MAX_BODY_BYTES = MAX_PAYLOAD_BYTES  # InvokeEndpoint's; the control plane's calls are smaller
# After a refusal, what the client still sends is read and dropped (`_linger`) for so long.
LINGER_SECONDS = 2.0
LINGER_BYTES = 4 * (MAX_HEAD_BYTES + MAX_BODY_BYTES)
_READ_BYTES = 64 * 1024  # a chunked body is read in pieces: one `read()` copies quadratically
# What cheroot's ChunkedRFile raises (a plain IOError) for a body over the limit.
_CHUNKED_TOO_LARGE = "Request Entity Too Large"
_HTTP_DATE = PerSecondDate()


class _Request(cheroot_server.HTTPRequest):
    """cheroot's request: its refusals in our JSON shape, a chunked body read before the app."""

    def simple_response(self, status: object, msg: object = "") -> None:
        """Every answer cheroot writes itself (4xx refusals, its 408, 500, 503) goes here."""
        code = int(str(status)[:3])
        if code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
            message = too_large_message(self.server.max_request_body_size, self._declared())
        else:
            text = msg.decode("latin-1") if isinstance(msg, bytes) else str(msg)
            message = text or HTTPStatus(code).phrase
        self.close_connection = True  # what follows on this socket may be the refused body
        try:
            self.conn.wfile.write(refusal(code, message))
            self.conn.refused = True
        except OSError as error:
            if error.args[0] not in cheroot_errors.socket_errors_to_ignore:
                raise  # as cheroot's own: a client that went away is not an error

    def _declared(self) -> int | None:
        """The body size the request's Content-Length declares, when it is a number."""
        headers: Any = getattr(self, "inheaders", {})
        declared = headers.get(b"Content-Length", b"")
        return int(declared) if declared.isdigit() else None

    def read_request_headers(self) -> bool:
        try:
            read: bool = super().read_request_headers()  # type: ignore[no-untyped-call]
        except cheroot_errors.MaxSizeExceeded:
            # cheroot answers it as a 413, which is the body's; gunicorn's is 431 too.
            limit = self.server.max_request_header_size
            self.simple_response(431, f"request headers are over the limit of {limit} bytes")
            return False
        return read

    def send_headers(self) -> None:
        # cheroot formats the Date header per response; the app's own is kept.
        if not any(key.lower() == b"date" for key, _ in self.outheaders):
            self.outheaders.append((b"Date", _HTTP_DATE().encode("latin-1")))
        wfile = self.conn.wfile
        if isinstance(wfile, socketfile.SocketWriter):
            wfile.hold_next()  # the head leaves with the body's first bytes (`respond`)
        super().send_headers()

    def respond(self) -> None:
        try:
            self._respond()
        finally:
            wfile = self.conn.wfile
            if isinstance(wfile, socketfile.SocketWriter):
                wfile.flush()  # a head without a body, or held when the app failed

    def _respond(self) -> None:
        if not self.chunked_read:
            super().respond()
            return
        body = self._read_chunked()
        if body is None:
            return
        # The app sees the decoded body with its length, as behind any proxy.
        self.inheaders.pop(b"Transfer-Encoding", None)
        self.inheaders[b"Content-Length"] = str(len(body)).encode()
        self.chunked_read = False
        self.rfile = cheroot_server.KnownLengthRFile(io.BytesIO(body), len(body))
        # The rest of cheroot's respond(), which would read the socket again instead.
        self.server.gateway(self).respond()
        if self.ready:
            self.ensure_headers_sent()
        if self.chunked_write:
            self.conn.wfile.write(b"0\r\n\r\n")

    def _read_chunked(self) -> bytes | None:
        """The whole chunked body (trailers consumed), or None once refused.

        cheroot's own ChunkedRFile, bounded by the body limit (which counts the chunk
        size lines too); its errors reach the app as exceptions, so they are answered here.
        """
        chunks = cheroot_server.ChunkedRFile(self.conn.rfile, self.server.max_request_body_size)
        pieces: list[bytes] = []
        try:
            while piece := chunks.read(_READ_BYTES):
                pieces.append(piece)
            # No app reads trailers; consumed so that the next request starts clean.
            # cheroot's stub says it returns None; it is a generator of lines.
            trailers: Callable[[], Iterable[bytes]] = chunks.read_trailer_lines  # type: ignore[assignment]
            for _line in trailers():
                pass
        except cheroot_errors.MaxSizeExceeded:
            self.simple_response(413)
            return None
        except ValueError as error:
            self.simple_response(400, f"malformed chunked body: {error}")
            return None
        except OSError as error:
            if str(error) != _CHUNKED_TOO_LARGE:
                raise  # a timeout or a reset: cheroot's own handling (408, or nothing)
            self.simple_response(413)
            return None
        return b"".join(pieces)


class _Connection(cheroot_server.HTTPConnection):
    """cheroot's connection on `socketfile`'s reader and writer, closed gently after a
    refusal (`_linger`)."""

    RequestHandlerClass = _Request
    refused = False  # set by a refusal: the client may still be sending the request

    def __init__(self, server: Any, sock: socket.socket, makefile: Any = MakeFile) -> None:
        # cheroot passes its MakeFile for a plain socket (an SSL adapter passes its own)
        chosen = socketfile.socket_file if makefile is MakeFile else makefile
        super().__init__(server, sock, chosen)

    def close(self) -> None:
        if self.refused:
            self._linger()
        super().close()

    def _linger(self) -> None:
        """Send FIN, then read and drop what the client still sends, for a bounded time.

        A socket closed with unread data answers the client's next packet with a TCP
        reset, and a client still sending a refused request (a 64 KB header, a body over
        the limit) then loses the answer already sent. Apache's "lingering close";
        cheroot has none, and it is a few lines on the socket it holds.
        """
        deadline = time.monotonic() + LINGER_SECONDS
        drained = 0
        try:
            self.socket.shutdown(socket.SHUT_WR)
            while drained < LINGER_BYTES and (left := deadline - time.monotonic()) > 0:
                self.socket.settimeout(left)
                data = self.socket.recv(_READ_BYTES)
                if not data:
                    return  # the client read the answer and closed
                drained += len(data)
        except OSError:
            return  # timed out, or the client reset first: nothing more to save


class _Server(wsgi.Server):
    """cheroot's WSGI server with our limits and refusals, closing the socket of a failed bind."""

    ConnectionClass = _Connection
    max_request_header_size = MAX_HEAD_BYTES
    max_request_body_size = MAX_BODY_BYTES

    def prepare(self) -> None:
        """cheroot's, with its connections answered by the threads their requests wake
        (`doorthreads.DirectConnections`) where there is epoll."""
        super().prepare()
        if doorthreads.available():
            cheroots: Any = vars(self)["_connections"]  # made by prepare, not in the stubs
            self._connections = doorthreads.DirectConnections(self, THREADS)
            cheroots._selector.close()  # never polled

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
        # cheroot's pool answers only what its own manager queues: none with epoll's
        numthreads=1 if doorthreads.available() else THREADS,
        server_name=name,
        request_queue_size=QUEUE,
        timeout=int(IDLE_SECONDS),
        shutdown_timeout=int(STOP_SECONDS),
    )
    server.prepare()  # binds now, so a taken port fails here and `port` is the real one
    thread = threading.Thread(target=server.serve, name=f"{name}-frontdoor", daemon=True)
    thread.start()
    return FrontDoor(server, thread)
