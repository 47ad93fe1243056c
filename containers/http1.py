"""Plain HTTP/1.x requests read without gunicorn's request parser (httptools), or declined.

gunicorn 27's `Request` costs most of a one-row request's CPU in the serving worker
(limits, header policy, trusted-proxy checks, body set-up, all in Python: docs/
benchmarks.md, "Per hop"). `parse` reads a request head with httptools (llhttp, C) and
builds the same `Request` gunicorn would, for the requests that are plainly well formed:
its whole head in hand, a common method, an origin-form target of printable ASCII, HTTP/1.0
or 1.1, header names without "_", ASCII values, no Transfer-Encoding, Expect or Upgrade,
no second Host, Content-Type or Content-Length, within gunicorn's limits. Anything else
is declined (None) and the worker hands the bytes back to gunicorn's parser, which
answers it as it always did, refusals included. What is accepted here, gunicorn accepts
too, with the same fields (tests/server/test_http1.py compares the two on generated heads).

`environ` is `gunicorn.http.wsgi.create`'s environ for such a request, without the
branches it cannot take (proxy protocol, a Unix socket's SERVER_NAME, SCRIPT_NAME).
"""

from __future__ import annotations

import io
import logging
import re
import sys
from collections.abc import Iterable
from typing import Any

import httptools
from gunicorn import SERVER, SERVER_SOFTWARE, util
from gunicorn.config import Config
from gunicorn.http import wsgi
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.message import MAX_HEADERS, MAX_REQUEST_LINE, TOKEN_RE, Request
from gunicorn.http.unreader import Unreader
from gunicorn.http.wsgi import HEADER_VALUE_RE, FileWrapper, Response, WSGIErrorsWrapper

# gunicorn 27's, not in its stubs: the environ's wsgi.early_hints, the status lines it takes
_early_hints: Any = wsgi._make_early_hints_callback  # type: ignore[attr-defined]
STATUS_RE: re.Pattern[str] = wsgi.STATUS_RE  # type: ignore[attr-defined]
_METHODS = frozenset((b"GET", b"POST", b"PUT", b"DELETE", b"HEAD", b"OPTIONS", b"PATCH"))
# origin-form, printable ASCII, no fragment; "//" would be read as a netloc by urlsplit
_TARGET = re.compile(rb"/(?!/)[\x21\x22\x24-\x7e]*")
_VERSIONS = {b"HTTP/1.1": (1, 1), b"HTTP/1.0": (1, 0)}
# Headers whose handling is gunicorn's own business: body framing, 100-continue, h2c.
_DECLINED_HEADERS = frozenset(("TRANSFER-ENCODING", "EXPECT", "UPGRADE", "HTTP2-SETTINGS"))
# gunicorn refuses a second one of these (InvalidHeader)
_SINGLE_HEADERS = frozenset(("HOST", "CONTENT-TYPE", "CONTENT-LENGTH"))
_FIELD_SIZE = 8190  # gunicorn's DEFAULT_MAX_HEADERFIELD_SIZE


class Limits:
    """gunicorn's request limits as a worker's config sets them, made conservative.

    Each is one below what gunicorn still accepts, so the two parsers' counting (line
    ends, the C parser's own bounds) never decides between an answer and a refusal here.
    """

    def __init__(self, cfg: Config) -> None:
        line = cfg.limit_request_line
        self.request_line = MAX_REQUEST_LINE if line <= 0 or line > MAX_REQUEST_LINE else line
        self.request_line -= 2
        fields = cfg.limit_request_fields
        self.fields = (MAX_HEADERS if fields <= 0 or fields > MAX_HEADERS else fields) - 1
        size = cfg.limit_request_field_size
        self.field_size = (_FIELD_SIZE if size <= 0 else size) - 4
        # the scheme headers: gunicorn applies them from the peers it trusts
        self.declined_headers = _DECLINED_HEADERS | frozenset(cfg.secure_scheme_headers)


class FastRequest(Request):
    """A `gunicorn.http.message.Request` filled in by `parse`, not by its own parser.

    Its methods (`should_close`, `force_close`) are gunicorn's; the attributes are the
    ones gunicorn's parser sets for a request of this kind. `body` is None for one from
    `read_head` that the worker serves with its body in hand (`LeanAnswer`).
    """

    proxy_protocol_info = None
    _expected_100_continue = False
    fragment = ""
    must_close = False
    method: str
    path: str
    query: str
    version: tuple[int, int]
    # None for a request whose body the worker took whole with its head (`read_head`)
    body: Body | None

    def __init__(
        self,
        cfg: Config,
        unreader: Unreader,
        peer_addr: Any,
        req_number: int,
        method: str,
        uri: str,
        version: tuple[int, int],
        headers: list[tuple[str, str]],
        body: Body | None = None,
    ) -> None:
        self.cfg = cfg
        self.unreader = unreader
        self.peer_addr = self.remote_addr = peer_addr
        self.req_number = req_number
        self.method = method
        self.uri = uri
        path, _, self.query = uri.partition("?")
        self.path = path
        self.version = version
        self.headers = headers
        self.trailers = []
        self.body = body
        self.scheme = "https" if cfg.is_ssl else "http"


class _Head:
    """httptools' protocol, its callbacks C methods (no Python frame per header): the
    target's pieces, and the fields by name (a repeated name is seen by counting)."""

    __slots__ = ("on_url", "on_header")

    def __init__(self, url: list[bytes], fields: dict[bytes, bytes]) -> None:
        self.on_url = url.append
        self.on_header = fields.__setitem__


class _RepeatedNames:
    """httptools' protocol keeping every field in order, for a head repeating a name."""

    def __init__(self) -> None:
        self.fields: list[tuple[bytes, bytes]] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self.fields.append((name, value))


def parse(
    data: bytes, unreader: Unreader, limits: Limits, cfg: Config, peer_addr: Any, number: int
) -> FastRequest | None:
    """The request whose head starts `data`, its body to be read from `unreader` (which
    gets the bytes after the head back), or None: gunicorn parses this one."""
    read = read_head(data, unreader, limits, cfg, peer_addr, number)
    if read is None:
        return None
    req, end, length = read
    attach_body(req, data, end, length)
    return req


def attach_body(req: FastRequest, data: bytes, end: int, length: int) -> None:
    """Give `req` (from `read_head`) its body, read from its unreader, which gets the bytes
    of `data` after the head (at `end`) back."""
    if len(data) > end:
        req.unreader.unread(data[end:])
    req.body = FastBody(LengthReader(req.unreader, length))


def read_head(
    data: bytes, unreader: Unreader, limits: Limits, cfg: Config, peer_addr: Any, number: int
) -> tuple[FastRequest, int, int] | None:
    """`parse`'s request without its body set up (`body` None, nothing unread), with where
    its head ends in `data` and its Content-Length; or None: gunicorn parses this one."""
    end = data.find(b"\r\n\r\n") + 4
    line_end = data.find(b"\r\n")
    if end < 4 or line_end > limits.request_line or end - line_end > limits.field_size:
        return None
    head = data[:end]
    if not head.isascii():  # latin-1 text, or refused: gunicorn's
        return None
    url_parts: list[bytes] = []
    by_name: dict[bytes, bytes] = {}
    parser = httptools.HttpRequestParser(_Head(url_parts, by_name))
    try:
        parser.feed_data(head)
    except (httptools.HttpParserError, httptools.HttpParserUpgrade):  # upgrade: CONNECT, h2c
        return None
    method = parser.get_method()
    url = b"".join(url_parts)
    count = head.count(b"\r\n") - 2  # header lines (llhttp takes no bare CR or LF)
    if (
        method not in _METHODS
        or count > limits.fields
        or line_end != len(method) + len(url) + 10  # one space each side of the target
        or data[len(method) : len(method) + 2] != b" /"
        or not _TARGET.fullmatch(url)
    ):
        return None
    fields: Iterable[tuple[bytes, bytes]] = by_name.items()
    if len(by_name) != count:  # a name repeated as it was: read again, every field kept
        repeated = _RepeatedNames()
        httptools.HttpRequestParser(repeated).feed_data(head)
        fields = repeated.fields
    version = _VERSIONS.get(data[line_end - 8 : line_end])  # the line's end, as llhttp read it
    if version is None:
        return None
    headers = [
        (name.decode("latin-1").upper(), value.decode("latin-1").strip(" \t"))
        for name, value in fields
    ]
    by_upper = dict(headers)
    if len(by_upper) != len(headers):  # a name repeated: gunicorn refuses a second of these
        upper = [name for name, _ in headers]
        if any(upper.count(name) > 1 for name in _SINGLE_HEADERS):
            return None
    if not limits.declined_headers.isdisjoint(by_upper):
        return None  # gunicorn's: framing, 100-continue, h2c, trusted proxies' schemes
    if b"_" in head and any("_" in name for name in by_upper):
        return None  # dropped or refused by gunicorn's header_map
    length = by_upper.get("CONTENT-LENGTH", "0")
    if not length.isdigit():
        return None
    method_text, uri = method.decode("latin-1"), url.decode("latin-1")
    req = FastRequest(cfg, unreader, peer_addr, number, method_text, uri, version, headers)
    return req, end, int(length)


class FastBody(Body):
    """gunicorn's `Body`; a read of all that is left of it, when all of it is already in
    hand, takes it without `Body`, `LengthReader` and `Unreader` each copying it (the
    one read an app makes of a small body). The same bytes, and the same state after."""

    def read(self, size: int | None = None) -> bytes:
        reader = self.reader
        if type(size) is int and type(reader) is LengthReader and not self.buf.tell():
            length = reader.length
            if size >= length > 0:
                unreader = reader.unreader
                held = unreader.buf.getvalue()
                if len(held) >= length:
                    unreader.buf = io.BytesIO()
                    unreader.buf.write(held[length:])
                    reader.length = 0
                    return held[:length]
        return super().read(size)


_NAMES_KEPT = 256  # at most so many response header names remembered (the app's own few)


class FastResponse(Response):
    """gunicorn's `Response`: the app's header names, once found valid and not hop-by-hop,
    are not checked again (a dict instead of two regular expressions and a set each), and
    the head is formatted in one piece; the same bytes, errors and state as gunicorn's."""

    _known: dict[str, str] = {}  # a name -> its lower case; shared by the worker's threads

    def process_headers(self, headers: Any) -> None:
        known = self._known
        kept: list[tuple[str, str]] = self.headers  # type: ignore[assignment]  # stubs: Iterable
        for name, value in headers:
            lower = known.get(name) if type(name) is str else None
            if lower is None or type(value) is not str or not HEADER_VALUE_RE.fullmatch(value):
                super().process_headers(((name, value),))  # gunicorn's checks and errors
                if type(name) is str and name not in known and len(known) < _NAMES_KEPT:
                    if TOKEN_RE.fullmatch(name) and not util.is_hoppish(name):
                        known[name] = name.lower()
                continue
            value = value.strip(" \t")
            if lower == "content-length":
                self.response_length = int(value)
            kept.append((name, value))

    def send_headers(self) -> None:
        if self.headers_sent:
            return
        if self.upgrade:
            connection = "upgrade"
        elif self.should_close():
            connection = "close"
        else:
            connection = "keep-alive"
        major, minor = self.req.version or (1, 1)
        head = (
            f"HTTP/{major}.{minor} {self.status}\r\nServer: {self.version}\r\n"
            f"Date: {util.http_date()}\r\nConnection: {connection}\r\n"
        )
        if self.chunked:
            head += "Transfer-Encoding: chunked\r\n"
        head += "".join([f"{name}: {value}\r\n" for name, value in self.headers])
        util.write(self.sock, (head + "\r\n").encode("latin-1"))
        self.headers_sent = True


_STATUSES_KEPT = 64  # at most so many status lines remembered as plain


class LeanAnswer:
    """A WSGI `start_response` keeping the app's status and headers until the app returns,
    so that a plain answer leaves in one send formatted here (`plain`), without gunicorn's
    `Response`; any other answer is gunicorn's (`gunicorns`), made then and given the same
    status and headers, which checks them and writes what it always wrote.

    Plain: a status line gunicorn takes whose code allows a body (not 1xx, 204 or 304),
    headers whose names `FastResponse` already knows valid and not hop-by-hop, valid
    values, a Content-Length, a body that is a list of one bytes of that length, a
    request that is not HEAD. The bytes are `FastResponse`'s for such an answer. An app's own
    `write` (WSGI's legacy callable) gets gunicorn's `Response` and its ordering. A bad
    status or header is refused once the app returns rather than inside its call.
    """

    __slots__ = ("req", "sock", "cfg", "must_close", "status", "headers", "response")
    _plain_statuses: dict[str, int] = {}  # a status line -> its code; shared by threads

    def __init__(self, req: FastRequest, sock: Any, cfg: Config, must_close: bool) -> None:
        self.req = req
        self.sock = sock
        self.cfg = cfg
        self.must_close = must_close
        self.status: Any = None
        self.headers: Any = None
        self.response: FastResponse | None = None

    @property
    def headers_sent(self) -> bool:
        """What gunicorn's early-hints callback asks of the answer."""
        return self.response is not None and self.response.headers_sent

    def start_response(self, status: Any, headers: Any, exc_info: Any = None) -> Any:
        if self.response is None and self.status is None:
            self.status, self.headers = status, headers
            return self.write
        return self.gunicorns().start_response(status, headers, exc_info)  # a second call

    def write(self, data: bytes) -> None:
        self.gunicorns().write(data)

    def gunicorns(self) -> FastResponse:
        """The answer as gunicorn's `Response`, which gets the app's status and headers."""
        if self.response is None:
            resp = FastResponse(self.req, self.sock, self.cfg)
            if self.must_close:
                resp.force_close()
            self.response = resp
            if self.status is not None:
                resp.start_response(self.status, self.headers)
        return self.response

    def plain(self, respiter: object) -> tuple[bytes, bytes, bool] | None:
        """A plain answer's head, its body and whether the connection closes after it; None
        when the answer is gunicorn's to write."""
        if self.response is not None or type(respiter) is not list or len(respiter) != 1:
            return None
        body = respiter[0]
        if type(body) is not bytes or self.req.method == "HEAD":
            return None
        status = self.status
        code = self._plain_statuses.get(status) if type(status) is str else None
        if code is None and not self._learn_status(status):
            return None
        known = FastResponse._known
        length = None
        lines = []
        for name, value in self.headers:
            lower = known.get(name) if type(name) is str else None
            if lower is None or type(value) is not str or not HEADER_VALUE_RE.fullmatch(value):
                return None
            value = value.strip(" \t")
            if lower == "content-length":
                if not (value.isascii() and value.isdigit()):
                    return None  # int() might take it, or not: gunicorn's call
                length = int(value)
            lines.append(f"{name}: {value}\r\n")
        if length != len(body):
            return None
        close = self.must_close or self.req.should_close()
        major, minor = self.req.version
        head = (
            f"HTTP/{major}.{minor} {status}\r\nServer: {SERVER}\r\n"
            f"Date: {util.http_date()}\r\nConnection: {'close' if close else 'keep-alive'}\r\n"
            f"{''.join(lines)}\r\n"
        )
        return head.encode("latin-1"), body, close

    def _learn_status(self, status: object) -> bool:
        """Whether `status` is a line gunicorn takes for an answer with a body; remembered."""
        if type(status) is not str or not STATUS_RE.fullmatch(status):
            return False
        code = int(status[:3])
        if code < 200 or code in (204, 304):
            return False
        if len(self._plain_statuses) < _STATUSES_KEPT:
            self._plain_statuses[status] = code
        return True


def drained(body: Body | None) -> bool:
    """Whether gunicorn's `Parser.finish_body` would find nothing left of `body` to read
    (and say True): all of its length read, nothing held back, no read failed."""
    if body is None:
        return False
    reader = body.reader
    return (
        type(reader) is LengthReader
        and reader.length == 0
        and not body.buf.tell()
        and not getattr(body, "failed", False)  # gunicorn 27's, not in its stubs
    )


_PROTOCOLS = {(1, 1): "HTTP/1.1", (1, 0): "HTTP/1.0"}


_ERROR_LOG = logging.getLogger("gunicorn.error")


class ErrorsStream(WSGIErrorsWrapper):
    """gunicorn's `WSGIErrorsWrapper`, its streams (the error log handlers') found when it
    is written to rather than made: made for every request, most never written to, and a
    stream a log reopening (SIGUSR1) replaced is not written to afterwards."""

    def __init__(self, cfg: Config) -> None:  # gunicorn's looks the streams up here
        self._cfg = cfg

    @property
    def streams(self) -> list[Any]:  # type: ignore[override]  # an attribute in gunicorn's
        """What gunicorn's would hold if made now."""
        handlers = _ERROR_LOG.handlers
        streams: list[Any] = []
        if self._cfg.errorlog == "-":
            streams.append(sys.stderr)
            handlers = handlers[1:]
        for handler in handlers:
            if hasattr(handler, "stream"):
                streams.append(handler.stream)
        return streams


def peer_environ(client: Any, server: Any) -> dict[str, str] | None:
    """REMOTE_* and SERVER_* of a connection as `wsgi.create` sets them, or None for a
    Unix socket (whose SERVER_NAME comes from each request's Host: gunicorn's)."""
    if not isinstance(server, tuple):
        return None
    if isinstance(client, str):
        peer = {"REMOTE_ADDR": client}
    elif isinstance(client, bytes):
        peer = {"REMOTE_ADDR": client.decode()}
    else:
        peer = {"REMOTE_ADDR": client[0], "REMOTE_PORT": str(client[1])}
    peer["SERVER_NAME"] = server[0]
    peer["SERVER_PORT"] = str(server[1])
    return peer


def environ(
    req: FastRequest,
    stream: Any,
    sock: Any,
    resp: Response | LeanAnswer,
    peer: dict[str, str],
    multiprocess: bool,
) -> dict[str, Any]:
    """`gunicorn.http.wsgi.create`'s environ for `req` (keys in its order), reading its
    body from `stream` (gunicorn's: `req.body`), with the `wsgi.multithread` gthread sets."""
    env: dict[str, Any] = {
        "wsgi.errors": ErrorsStream(req.cfg),
        "wsgi.version": (1, 0),
        "wsgi.multithread": True,
        "wsgi.multiprocess": multiprocess,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": FileWrapper,
        "wsgi.input_terminated": True,
        "SERVER_SOFTWARE": SERVER_SOFTWARE,
        "wsgi.input": stream,
        "gunicorn.socket": sock,
        "REQUEST_METHOD": req.method,
        "QUERY_STRING": req.query,
        "RAW_URI": req.uri,
        "SERVER_PROTOCOL": _PROTOCOLS[req.version],
    }
    repeated: dict[str, list[str]] = {}
    for name, value in req.headers:
        if name == "CONTENT-TYPE":
            env["CONTENT_TYPE"] = value
        elif name == "CONTENT-LENGTH":
            env["CONTENT_LENGTH"] = value
        else:
            key = "HTTP_" + name.replace("-", "_")
            if key in env:
                repeated.setdefault(key, [env[key]]).append(value)
            else:
                env[key] = value
    for key, values in repeated.items():
        env[key] = ",".join(values)
    env["wsgi.url_scheme"] = req.scheme
    env.update(peer)
    path = req.path
    env["PATH_INFO"] = util.unquote_to_wsgi_str(path) if "%" in path else path
    env["SCRIPT_NAME"] = ""
    env["wsgi.early_hints"] = _early_hints(req, sock, resp)
    return env
