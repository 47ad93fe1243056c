"""containers/http1.py against gunicorn's own parser, in-process: every head the fast path
takes, gunicorn takes too, with the same request (method, target, version, headers,
body framing, keep-alive) and the same WSGI environ; everything else it declines.

Generated heads mix well-formed pieces with the ones gunicorn refuses or treats apart;
both of gunicorn's parsers are the reference: its Python one, and gunicorn_h1c's C one
when installed (gunicorn uses it then)."""

from __future__ import annotations

import importlib.util
import io
import logging
from typing import Any

import pytest
from gunicorn.config import Config
from gunicorn.http.message import Request
from gunicorn.http.unreader import IterUnreader
from gunicorn.http.wsgi import Response, WSGIErrorsWrapper, create
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inferline.containers import http1
from inferline.containers.fastpath import fast_path_applies, settle
from tests.server.inprocess import config
from tests.server.test_fast_path import gunicorns_class

PEER = ("127.0.0.1", 50123)
SERVER = ("127.0.0.1", 8080)
PARSERS = ["python"] + (["fast"] if importlib.util.find_spec("gunicorn_h1c") else [])
OBJECTS = ("wsgi.errors", "wsgi.input", "gunicorn.socket", "wsgi.early_hints")

URLLIB3_POST = (
    b"POST /invocations HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nAccept-Encoding: identity\r\n"
    b"Content-Type: text/csv\r\nAccept: text/csv\r\nContent-Length: 1\r\n"
    b"User-Agent: python-urllib3/2.2.3\r\n\r\n1"
)
WELL_FORMED = [
    URLLIB3_POST,
    b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /ping HTTP/1.0\r\n\r\n",
    b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    b"HEAD /ping HTTP/1.1\r\nConnection: close\r\n\r\n",
    b"POST /invocations?x=1&y=%20 HTTP/1.1\r\nContent-Length: 3\r\n"
    b'X-Amzn-SageMaker-Custom-Attributes: a=1, b="2"\r\nX-Dup: 1\r\nx-dup: 2\r\n\r\nabcNEXT',
    b"GET /a%2Fb/%e9?q HTTP/1.1\r\nEmpty:\r\nSpaced: \t v a l \t \r\n\r\n",
    b"GET / HTTP/1.1\r\nX-A: 1\r\nAccept: a\r\nX-A: 2\r\nx-a: 3\r\nAccept: b\r\n\r\n",
    b"DELETE /x HTTP/1.1\r\nContent-Length: 007\r\n\r\n1234567",
]
# Each refused by gunicorn or handled apart (framing, 100-continue, h2c, proxy policy).
DECLINED = [
    b"GET /ping HTTP/1.1\r\nHost: x\r\n",  # head not complete yet
    b"\r\nGET /ping HTTP/1.1\r\n\r\n",
    b"GET  /ping HTTP/1.1\r\n\r\n",
    b"GET /ping HTTP/1.2\r\n\r\n",
    b"get /ping HTTP/1.1\r\n\r\n",
    b"CONNECT x:1 HTTP/1.1\r\n\r\n",
    b"OPTIONS * HTTP/1.1\r\n\r\n",
    b"GET http://x/ping HTTP/1.1\r\n\r\n",
    b"GET //ping HTTP/1.1\r\n\r\n",
    b"GET /ping#frag HTTP/1.1\r\n\r\n",
    b"GET /\xe9 HTTP/1.1\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nHost: x\r\nhost: y\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Type: a\r\nContent-Type: a\r\n\r\n",
    b"POST / HTTP/1.1\r\nContent-Length: 1\r\ncontent-length: 1\r\n\r\nx",
    b"POST / HTTP/1.1\r\nContent-Length: +1\r\n\r\nx",
    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    b"GET / HTTP/1.1\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\n"
    b"HTTP2-Settings: AAMAAABkAAQAoAAAAAIAAAAA\r\n\r\n",
    b"GET / HTTP/1.1\r\nX_Forwarded_For: 1.2.3.4\r\n\r\n",
    b"GET / HTTP/1.1\r\nSCRIPT_NAME: /other\r\n\r\n",
    b"GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    b"GET / HTTP/1.1\r\nA : b\r\n\r\n",
    b"GET / HTTP/1.1\r\nA: \xe9\r\n\r\n",
    b"GET / HTTP/1.1\r\nA: b\x01\r\n\r\n",
    b"GET / HTTP/1.1\nA: b\n\n",
    b"GET /" + b"x" * 5000 + b" HTTP/1.1\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(101)) + b"\r\n",
]


def cfg_for(parser: str = "python", **settings: Any) -> Config:
    cfg = config(http_parser=parser, **settings)
    settle(cfg)
    return cfg


def fast_parse(data: bytes, cfg: Config) -> http1.FastRequest | None:
    return http1.parse(data, IterUnreader([]), http1.Limits(cfg), cfg, PEER, 1)


def gunicorn_parse(data: bytes, cfg: Config) -> Request | Exception:
    try:
        return Request(cfg, IterUnreader([data]), PEER, 1)
    except Exception as error:  # noqa: BLE001  # every refusal is an answer here
        return error


def fields(req: Request) -> dict[str, Any]:
    """What of a request gunicorn's worker and wsgi.create read, the body included."""
    assert req.body is not None
    return {
        "method": req.method,
        "uri": req.uri,
        "path": req.path,
        "query": req.query,
        "fragment": req.fragment,
        "version": req.version,
        "headers": req.headers,
        "scheme": req.scheme,
        "should_close": req.should_close(),
        "expect_continue": req._expected_100_continue,  # type: ignore[attr-defined]
        "proxy": req.proxy_protocol_info,
        "reader": type(req.body.reader),
        "length": getattr(req.body.reader, "length", None),
        "body": req.body.read(),
        "after": req.unreader.read(),  # what the next request starts with
    }


def environ_of(req: Request, cfg: Config, *, fast: bool) -> dict[str, Any]:
    sock = io.BytesIO()
    if fast:
        assert isinstance(req, http1.FastRequest)
        resp = Response(req, sock, cfg)
        peer = http1.peer_environ(PEER, SERVER)
        assert peer is not None
        environ = http1.environ(req, req.body, sock, resp, peer, cfg.workers > 1)
        assert isinstance(environ["wsgi.input"], http1.FastBody)
    else:
        _, environ = create(req, sock, PEER, SERVER, cfg)
        environ["wsgi.multithread"] = True  # what gthread's handle_request sets
    for key in OBJECTS:
        environ[key] = gunicorns_class(environ[key])
    return environ


def assert_same_as_gunicorn(data: bytes, **limits: Any) -> bool:
    """The fast path's request for `data` is gunicorn's (each of its parsers); False when
    the fast path declined it."""
    taken = False
    for parser in PARSERS:
        cfg = cfg_for(parser, **limits)
        ours = fast_parse(data, cfg)
        if ours is None:
            continue
        taken = True
        theirs = gunicorn_parse(data, cfg)
        assert isinstance(theirs, Request), (parser, data, theirs)
        assert type(ours).__mro__[1] is Request
        ours_environ = environ_of(ours, cfg, fast=True)
        assert ours_environ == environ_of(theirs, cfg, fast=False), (parser, data)
        assert list(ours_environ) == list(environ_of(theirs, cfg, fast=False))  # its order
        assert fields(ours) == fields(theirs), (parser, data)
    return taken


@pytest.mark.parametrize("data", WELL_FORMED)
def test_well_formed_requests_are_taken_and_read_as_gunicorn_reads_them(data: bytes) -> None:
    assert assert_same_as_gunicorn(data)


@pytest.mark.parametrize("data", DECLINED)
def test_anything_unusual_is_left_to_gunicorn(data: bytes) -> None:
    assert fast_parse(data, cfg_for()) is None


def test_limits_decline_before_gunicorn_would_refuse() -> None:
    line = b"GET /" + b"x" * 30 + b" HTTP/1.1\r\n"  # 45 bytes
    head = line + b"A: 1\r\nB: 2\r\n\r\n"
    assert fast_parse(head, cfg_for()) is not None
    assert fast_parse(head, cfg_for(limit_request_line=45)) is None  # gunicorn's limit: 45
    assert fast_parse(head, cfg_for(limit_request_line=47)) is not None
    assert fast_parse(head, cfg_for(limit_request_fields=2)) is None
    assert fast_parse(head, cfg_for(limit_request_fields=3)) is not None
    assert fast_parse(head, cfg_for(limit_request_field_size=10)) is None
    assert fast_parse(head, cfg_for(limit_request_field_size=30)) is not None


def test_the_scheme_headers_gunicorn_trusts_are_left_to_it() -> None:
    data = b"GET / HTTP/1.1\r\nX-Forwarded-Proto: https\r\n\r\n"
    assert fast_parse(data, cfg_for()) is not None  # the container trusts none
    trusting = cfg_for(secure_scheme_headers={"X-FORWARDED-PROTO": "https"})
    assert fast_parse(data, trusting) is None


def test_a_script_name_in_the_environment_turns_the_fast_path_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert fast_path_applies(cfg_for())
    monkeypatch.setenv("SCRIPT_NAME", "/app")
    assert not fast_path_applies(cfg_for())


def test_tls_uwsgi_and_the_proxy_protocol_turn_the_fast_path_off() -> None:
    assert not fast_path_applies(cfg_for(protocol="uwsgi"))
    assert not fast_path_applies(cfg_for(proxy_protocol="v1"))


def test_the_errors_stream_is_gunicorns_made_when_written(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for cfg in (cfg_for(), cfg_for(errorlog="/tmp/elsewhere.log")):
        assert http1.ErrorsStream(cfg).streams == WSGIErrorsWrapper(cfg).streams
    made = http1.ErrorsStream(cfg)  # the error log not "-": stderr not written
    assert isinstance(made, WSGIErrorsWrapper)
    later = io.StringIO()
    handler = logging.StreamHandler(later)
    monkeypatch.setattr(logging.getLogger("gunicorn.error"), "handlers", [handler])
    made.write("a line\n")  # the handler set after it was made gets it
    assert made.streams == WSGIErrorsWrapper(cfg).streams == [later]
    assert later.getvalue() == "a line\n"
    assert capsys.readouterr().err == ""


# Generated heads: well-formed pieces, and the pieces gunicorn refuses or treats apart.
TOKEN = st.text("abcXYZ019-!#$%&'*+.^`|~", min_size=1, max_size=12)
METHODS = st.sampled_from(
    ["GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE", "get", "PRI"]
)
TARGET_TEXT = st.lists(
    st.sampled_from(
        list("az09/-._~!$&'()*+,;=:@?%") + ["%2F", "%e9", " ", "\t", "#", "\x7f", "\xe9"]
    ),
    max_size=20,
).map("".join)
TARGETS = st.one_of(
    TARGET_TEXT.map(lambda text: "/" + text), st.sampled_from(["*", "", "//x", "http://h/p"])
)
VERSIONS = st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/1.1", "HTTP/1.2", "HTTP/2.0", "HTTP/1"])
NAMES = st.one_of(
    TOKEN,
    st.sampled_from(
        [
            "Host",
            "host",
            "Content-Type",
            "Content-Length",
            "content-length",
            "Connection",
            "Transfer-Encoding",
            "Expect",
            "Upgrade",
            "X-Forwarded-Proto",
            "X_Foo",
            "Accept",
            "X-Amzn-SageMaker-Custom-Attributes",
            "Bad Name",
            "",
            "A:B",
        ]  # fmt: skip
    ),
)
VALUES = st.one_of(
    st.text(st.sampled_from(list("az AZ09=;,/\"'\t") + ["\x00", "\r", "\x7f", "\x80", "\xff"])),
    st.sampled_from(
        [
            "0",
            "3",
            "+1",
            "-1",
            "1.0",
            "007",
            " 2 ",
            "close",
            "keep-alive",
            "Keep-Alive",
            "upgrade",
            "chunked",
            "100-continue",
            "h2c",
            "https",
        ]  # fmt: skip
    ),
)
SEPARATORS = st.sampled_from([": ", ":", ":\t", " : ", ": ", ": "])
LINE_ENDS = st.sampled_from(["\r\n"] * 12 + ["\n", "\r", "\r\n "])


CLEAN_TARGETS = st.lists(st.sampled_from(list("az09/-._~!$&'()*+,;=:@?%") + ["%2F"]), max_size=20)
CLEAN_VALUES = st.one_of(
    st.lists(st.sampled_from(list("az AZ09=;,/\"'\t")), max_size=10).map("".join),
    st.sampled_from(["0", "3", "007", " 2 ", "close", "keep-alive", "Keep-Alive", "upgrade"]),
)


@st.composite
def heads(draw: st.DrawFn) -> bytes:
    """A request head and what follows it; half of them built of well-formed pieces only
    (which repeat and combine names, Content-Length and Connection values freely)."""
    if draw(st.booleans()):
        space, method = " ", draw(st.sampled_from(["GET", "POST", "HEAD", "PUT", "PATCH"]))
        target = "/" + "".join(draw(CLEAN_TARGETS))
        version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"]))
        values, separators, line_ends, prefixes = CLEAN_VALUES, st.just(": "), st.just("\r\n"), [""]
    else:
        space = draw(st.sampled_from([" "] * 8 + ["  ", "\t"]))
        method, target, version = draw(METHODS), draw(TARGETS), draw(VERSIONS)
        values, separators, line_ends = VALUES, SEPARATORS, LINE_ENDS
        prefixes = [""] * 10 + ["\r\n"]
    lines = [f"{method}{space}{target} {version}"] + [
        f"{name}{draw(separators)}{value}"
        for name, value in draw(st.lists(st.tuples(NAMES, values), max_size=8))
    ]
    head = "".join(text + draw(line_ends) for text in lines) + "\r\n"
    rest = draw(st.binary(max_size=12))
    return (draw(st.sampled_from(prefixes)) + head).encode("latin-1") + rest


LIMITS = st.fixed_dictionaries(
    {
        "limit_request_line": st.sampled_from([4094, 4094, 0, 30, 60]),
        "limit_request_fields": st.sampled_from([100, 100, 0, 1, 3]),
        "limit_request_field_size": st.sampled_from([8190, 8190, 0, 12, 40]),
    }
)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=heads(), limits=LIMITS)
def test_what_the_fast_path_takes_gunicorn_reads_the_same(
    data: bytes, limits: dict[str, int]
) -> None:
    assert_same_as_gunicorn(data, **limits)


@settings(max_examples=300, deadline=None)
@given(
    target=TARGET_TEXT,
    headers=st.lists(
        st.tuples(
            st.sampled_from(["Accept", "X-A", "x-a", "Content-Type", "Connection", "User-Agent"]),
            st.text(st.sampled_from(list("az AZ09=;,/\t")), max_size=10),
        ),
        max_size=6,
    ),
)
def test_generated_well_formed_heads_are_taken(target: str, headers: list[tuple[str, str]]) -> None:
    names = [name.upper() for name, _ in headers]
    clean = all(c not in target for c in " \t#\x7f\xe9") and not target.startswith("/")
    if not clean or names.count("CONTENT-TYPE") > 1:
        return
    head = f"POST /{target} HTTP/1.1\r\n" + "".join(f"{n}: {v}\r\n" for n, v in headers)
    assert assert_same_as_gunicorn(head.encode() + b"\r\n")
