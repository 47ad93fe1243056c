"""The serving worker's fast path (containers/http1.py) against the same worker without
it (gunicorn's parser and wsgi.create for every request), in-process over 127.0.0.1:
the same bytes on the wire, the same environ given to the app, the same access lines,
for well-formed requests (taken by the fast path: counted) and malformed ones (not)."""

from __future__ import annotations

import re
import select
import socket
import sys
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from gunicorn.http.body import Body, LengthReader
from gunicorn.http.unreader import IterUnreader
from gunicorn.workers.gthread import TConn
from hypothesis import given, settings
from hypothesis import strategies as st

from inferline.containers import http1
from tests.server.inprocess import (
    Worker,
    connection,
    count_fast,
    exchange,
    pinned_date,
    read_all,
)

OBJECTS = ("wsgi.errors", "wsgi.input", "gunicorn.socket", "wsgi.early_hints")
# What the lean path gives instead of gunicorn's own objects, each alike for the app: the
# body whole as a BytesIO (Body's reads, tested below), the socket itself (not the writer
# holding the head back for the body).
LEAN_ALIKE = {"BytesIO": "Body", "socket": "_HeadWithBody"}
BIG = 3 * 1024 * 1024  # several recv()s of the body


def gunicorns_class(thing: object) -> str:
    """The name of the gunicorn class `thing` is (or derives from), else its own class's."""
    kinds = type(thing).__mro__
    return next(
        (kind.__name__ for kind in kinds if kind.__module__.startswith("gunicorn.")),
        kinds[0].__name__,
    )


class App:
    """Answers by path; keeps each environ it was given (objects by type)."""

    def __init__(self) -> None:
        self.environs: list[dict[str, Any]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        seen = dict(environ)
        for key in OBJECTS:
            kind = gunicorns_class(seen[key])
            seen[key] = LEAN_ALIKE.get(kind, kind)
        seen["REMOTE_PORT"] = seen["REMOTE_PORT"].isdigit()  # each connection's own
        self.environs.append(seen)
        path = environ["PATH_INFO"]
        if path == "/unread":  # leaves the body for gunicorn's drain
            body = b""
        elif path == "/line":
            body = environ["wsgi.input"].readline()
        else:
            body = environ["wsgi.input"].read()
        if path == "/chunked":  # no length: chunked to HTTP/1.1, close-delimited to 1.0
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"part one, ", b"", b"part two: " + body]
        if path == "/empty":
            start_response("204 No Content", [("X-Empty", "1")])
            return [b"ignored"]
        if path.startswith("/bad/"):  # the app's own bad header: gunicorn's 500 (name known)
            bad = {"value": ("Content-Type", "a\r\nb"), "name": ("Bad Name", "x"),
                   "type": ("Content-Type", 1), "hop": ("Upgrade", "websocket")}  # fmt: skip
            start_response("200 OK", [("Content-Type", "text/csv"), bad[path[5:]]])
            return [b"x"]
        if path in APP_ANSWERS:
            return APP_ANSWERS[path](environ, start_response)
        if path == "/hop":  # hop-by-hop headers are dropped, a long body cut at its length
            headers = [("Connection", "close"), ("Keep-Alive", "x"), ("Content-Length", "4")]
            start_response("200 OK", [*headers, ("X-Amzn-Trace", " spaced \t")])
            return [b"four and more"]
        answer = b"%d bytes, %s" % (len(body), environ.get("QUERY_STRING", "").encode())
        start_response(
            "200 OK", [("Content-Type", "text/csv"), ("Content-Length", str(len(answer)))]
        )
        return [answer]


def legacy_write(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    write(b"hel")
    return [b"lo"]


def replaced(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("X-First", "1")])
    try:
        raise ValueError("failed after start_response")
    except ValueError:
        headers = [("Content-Type", "text/plain"), ("Content-Length", "2")]
        start_response("500 Internal Server Error", headers, sys.exc_info())
    return [b"no"]


def raises(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    raise RuntimeError("the app failed")


def raises_after_write(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    write = start_response("200 OK", [("Content-Length", "10")])
    write(b"part")
    raise RuntimeError("the app failed mid-answer")


def short(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "10")])
    return [b"abc"]


def as_tuple(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return (b"o", b"k")


def hints(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    environ["wsgi.early_hints"]([("Link", "</style.css>; rel=preload")])
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def bad_status(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    start_response("20 OK", [("Content-Length", "2")])
    return [b"ok"]


APP_ANSWERS = {
    "/legacy": legacy_write,
    "/replaced": replaced,
    "/raise": raises,
    "/raise-after-write": raises_after_write,
    "/short": short,
    "/tuple": as_tuple,
    "/hints": hints,
    "/bad-status": bad_status,
}


@pytest.fixture
def workers() -> Iterator[tuple[Worker, Worker, App, App]]:
    fast_app, plain_app = App(), App()
    fast, plain = Worker(fast_app, fast=True), Worker(plain_app, fast=False)
    with pinned_date():
        yield fast, plain, fast_app, plain_app
    fast.close()
    plain.close()


def post(path: str, body: bytes, *extra: str, version: str = "1.1") -> bytes:
    head = f"POST {path} HTTP/{version}\r\nHost: 127.0.0.1:8080\r\nContent-Type: text/csv\r\n"
    head += "".join(line + "\r\n" for line in extra)
    return f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body


WELL_FORMED = {
    "ping": b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
    "csv": post("/invocations", b"1,2,3\n4,5,6\n"),
    "json": post("/invocations", b'{"instances": [[1, 2]]}', "Accept: application/json"),
    "attributes": post(
        "/invocations?a=1", b"1", 'X-Amzn-SageMaker-Custom-Attributes: trace=1, x="y z"'
    ),
    "inference id": post("/invocations", b"1", "X-Amzn-SageMaker-Inference-Id: id-7"),
    "repeated header": post("/invocations", b"1", "X-Dup: a", "x-dup: b", "X-Dup: c"),
    "percent path": b"GET /a%20b/%2F?q=%41 HTTP/1.1\r\n\r\n",
    "large body": post("/invocations", b"7" * BIG),
    "head": b"HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n",
    "head chunked": b"HEAD /chunked HTTP/1.1\r\n\r\n",
    "close": b"GET /ping HTTP/1.1\r\nConnection: close\r\n\r\n",
    "chunked answer": post("/chunked", b"abc"),
    "no content": b"GET /empty HTTP/1.1\r\n\r\n",
    "hop-by-hop answer": b"GET /hop HTTP/1.1\r\n\r\n",
    "unread body": post("/unread", b"x" * 30_000),  # drained for the next request
    "unread large body": post("/unread", b"x" * 100_000),  # past gunicorn's drain: closed
    "readline": post("/line", b"one\ntwo\n"),
    "http/1.0": b"GET /ping HTTP/1.0\r\n\r\n",
    "http/1.0 keep-alive": b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "http/1.0 chunked": post("/chunked", b"abc", version="1.0"),
    "empty post": b"POST /invocations HTTP/1.1\r\n\r\n",
    "cut body": post("/invocations", b"12345")[:-2],  # Content-Length 5, 3 sent, closed
    **{path[1:]: f"GET {path} HTTP/1.1\r\n\r\n".encode() for path in APP_ANSWERS},
}
# Small requests (the body in the first read) whose answers the lean path writes itself,
# and those it hands to gunicorn's Response (no length, no body allowed, hop-by-hop or
# unknown names, a body not a list or not of its length, the app's own write, a second
# start_response, a bad status). An app that raises (/raise, /raise-after-write) is
# answered as gunicorn answers it: compared with the rest of WELL_FORMED.
PLAIN = ("ping", "csv", "json", "attributes", "inference id", "repeated header",
         "percent path", "close", "readline", "http/1.0", "http/1.0 keep-alive", "empty post",
         "hints")  # fmt: skip
GUNICORNS = ("head", "head chunked", "chunked answer", "no content", "hop-by-hop answer",
             "legacy", "replaced", "short", "tuple", "bad-status")  # fmt: skip
MALFORMED = {
    "bad request line": b"GET /ping\r\n\r\n",
    "lower-case method": b"get /ping HTTP/1.1\r\n\r\n",
    "bad version": b"GET /ping HTTP/2.5\r\n\r\n",
    "underscore": b"GET /ping HTTP/1.1\r\nX_Y: 1\r\n\r\n",
    "two hosts": b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    "two lengths": b"POST /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    "folded": b"GET /ping HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    "control in target": b"GET /p\x01ng HTTP/1.1\r\n\r\n",
    "chunked request": (
        b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    ),
    "bad chunk": b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "expect": b"POST /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\nx",
    "bad expect": b"POST /x HTTP/1.1\r\nExpect: tea\r\n\r\n",
    "long line": b"GET /" + b"x" * 5000 + b" HTTP/1.1\r\n\r\n",
    "many headers": b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(120)),
    "huge header": b"GET / HTTP/1.1\r\nA: " + b"v" * 9000 + b"\r\n\r\n",
    "split head": b"GET /ping HTTP/1.1\r\nHost: x\r\n",  # then closed
    "bare lf": b"GET /ping HTTP/1.1\nHost: x\n\n",
}


def answers(workers: tuple[Worker, Worker, App, App], raw: bytes) -> tuple[bytes, bytes, int]:
    fast, plain, fast_app, plain_app = workers
    served = count_fast(fast)
    ours, theirs = exchange(fast, raw), exchange(plain, raw)
    assert fast_app.environs == plain_app.environs
    assert timeless(fast.access) == timeless(plain.access)
    return ours, theirs, served()


def timeless(lines: list[str]) -> list[str]:
    """Access lines without the time each request took."""
    return [re.sub(r" \d+us ", " ", line) for line in lines]


@pytest.mark.parametrize("name", WELL_FORMED)
def test_well_formed_requests_take_the_fast_path_and_answer_the_same(
    workers: tuple[Worker, Worker, App, App], name: str
) -> None:
    raw = WELL_FORMED[name]
    ours, theirs, served = answers(workers, raw)
    assert served == 1
    assert ours.startswith(b"HTTP/1.")
    assert ours == theirs
    assert workers[2].environs  # the app saw it


@pytest.fixture
def lean_answers(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each answer of a request the lean path took was plain (written by it)."""
    made: list[bool] = []
    plain = http1.LeanAnswer.plain

    def counted(answer: http1.LeanAnswer, respiter: object) -> Any:
        written = plain(answer, respiter)
        made.append(written is not None)
        return written

    monkeypatch.setattr(http1.LeanAnswer, "plain", counted)
    return made


@pytest.mark.parametrize(
    ("name", "plain"), [*((name, True) for name in PLAIN), *((name, False) for name in GUNICORNS)]
)
def test_lean_requests_answers_are_written_by_the_lean_path_or_by_gunicorn(
    workers: tuple[Worker, Worker, App, App], lean_answers: list[bool], name: str, plain: bool
) -> None:
    ours, theirs, _ = answers(workers, WELL_FORMED[name])
    assert lean_answers == [plain]
    assert ours == theirs


def test_a_body_not_in_the_first_read_is_not_lean(
    workers: tuple[Worker, Worker, App, App], lean_answers: list[bool]
) -> None:
    ours, theirs, served = answers(workers, WELL_FORMED["large body"])
    assert (served, lean_answers) == (1, [])
    assert ours == theirs


def test_lean_answers_learn_the_apps_header_names_from_gunicorns(
    workers: tuple[Worker, Worker, App, App], lean_answers: list[bool]
) -> None:
    raw = post("/invocations", b"1", "X-New-Name-For-This-Test: 1")

    def new_name(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        start_response("200 OK", [("X-Never-Seen-Before", "1"), ("Content-Length", "1")])
        return [b"1"]

    APP_ANSWERS["/invocations"] = new_name
    try:
        ours, theirs, _ = answers(workers, raw + raw)
    finally:
        del APP_ANSWERS["/invocations"]
    assert lean_answers == [False, True]  # checked by gunicorn once, then known
    assert ours == theirs


def test_custom_hooks_turn_the_lean_path_off() -> None:
    called: list[str] = []

    def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
        called.append(req.path)

    worker = Worker(App(), fast=True, post_request=post_request)
    served = count_fast(worker)
    try:
        assert worker.worker._access_line is None
        assert exchange(worker, WELL_FORMED["ping"]).startswith(b"HTTP/1.1 200 OK")
    finally:
        worker.close()
    assert (served(), called) == (1, ["/ping"])


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_requests_get_gunicorns_answer(
    workers: tuple[Worker, Worker, App, App], name: str
) -> None:
    ours, theirs, served = answers(workers, MALFORMED[name])
    assert served == 0
    assert ours == theirs


def test_one_connection_mixes_fast_and_gunicorn_requests(
    workers: tuple[Worker, Worker, App, App],
) -> None:
    sequence = [
        WELL_FORMED["csv"],
        MALFORMED["chunked request"],  # gunicorn's, then the fast path again
        WELL_FORMED["repeated header"],
        MALFORMED["expect"],
        WELL_FORMED["unread body"],  # drained, then the next one read
        WELL_FORMED["large body"],
        WELL_FORMED["ping"],
    ]
    ours, theirs, served = answers(workers, b"".join(sequence))
    # A head read partly with the previous body is gunicorn's too: how many of the five
    # are taken depends on how the bytes came in.
    assert 1 <= served <= 5
    assert ours == theirs
    assert ours.count(b"HTTP/1.1 200 OK") == len(sequence)


@pytest.mark.parametrize("kind", ["value", "name", "type", "hop"])
def test_the_apps_bad_headers_get_gunicorns_answer(
    workers: tuple[Worker, Worker, App, App], kind: str
) -> None:
    raw = WELL_FORMED["csv"] + f"GET /bad/{kind} HTTP/1.1\r\n\r\n".encode()
    ours, theirs, served = answers(workers, raw)
    assert served == 2
    assert ours == theirs
    assert ours.count(b"HTTP/1.1 ") == 2


def test_pipelined_requests_up_to_a_close_are_answered_alike(
    workers: tuple[Worker, Worker, App, App], lean_answers: list[bool]
) -> None:
    raw = WELL_FORMED["ping"] * 3 + WELL_FORMED["close"] + WELL_FORMED["ping"]
    ours, theirs, served = answers(workers, raw)
    assert served == 4
    assert lean_answers == [True] * 4  # each read from what the one before left
    assert ours == theirs
    assert ours.count(b"HTTP/1.1 200 OK") == 4  # nothing after the close
    assert ours.endswith(b"Connection: close\r\n\r\n") or b"Connection: close" in ours


def test_an_http_1_0_answer_without_length_closes(
    workers: tuple[Worker, Worker, App, App],
) -> None:
    ours, theirs, _ = answers(workers, WELL_FORMED["http/1.0 chunked"] + WELL_FORMED["ping"])
    assert ours == theirs
    assert ours.count(b"HTTP/1.0 200 OK") == 1


def kept_alive(worker: Worker, raws: list[bytes], before_last: Any = None) -> bytes:
    """Requests sent one at a time on one connection, each answer read before the next
    is sent; `before_last` runs before the last one."""
    with connection(worker) as client:
        answers = []
        for index, raw in enumerate(raws):
            if index == len(raws) - 1 and before_last is not None:
                before_last()
            client.sendall(raw)
            answers.append(read_answer(client))
        client.shutdown(socket.SHUT_WR)
        answers.append(read_all(client))
    return b"".join(answers)


def read_answer(client: socket.socket) -> bytes:
    """One answer with a Content-Length (all the ones sent here have one)."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += client.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += client.recv(65536)
    return data[: len(head) + 4] + body


def test_a_stopping_worker_answers_a_kept_alive_request_with_close(
    workers: tuple[Worker, Worker, App, App],
) -> None:
    fast, plain, _, _ = workers
    served = count_fast(fast)
    raws = [WELL_FORMED["csv"], WELL_FORMED["ping"]]

    def stop(worker: Worker) -> None:
        worker.worker.alive = False  # what SIGTERM's handler does

    ours = kept_alive(fast, raws, lambda: stop(fast))
    theirs = kept_alive(plain, raws, lambda: stop(plain))
    assert served() == 2
    assert ours == theirs
    first, second = ours.split(b"HTTP/1.1 200 OK")[1:]
    assert b"Connection: keep-alive" in first and b"Connection: close" in second


def test_max_requests_closes_after_the_last_one_alike() -> None:
    apps = App(), App()
    fast, plain = (
        Worker(apps[0], fast=True, max_requests=2),
        Worker(apps[1], fast=False, max_requests=2),
    )
    served = count_fast(fast)
    with pinned_date():
        ours, theirs = (exchange(worker, WELL_FORMED["ping"] * 3) for worker in (fast, plain))
    assert served() == 2
    assert ours == theirs
    assert ours.count(b"HTTP/1.1 200 OK") == 2
    assert ours.count(b"Connection: close") == 1
    assert not fast.worker.alive and not plain.worker.alive
    fast.close()
    plain.close()


def test_a_client_gone_mid_body_ends_the_connection_alike(
    workers: tuple[Worker, Worker, App, App],
) -> None:
    fast, plain, fast_app, plain_app = workers
    raw = post("/invocations", b"x" * 200_000)[:100_000]
    for worker in (fast, plain):
        with connection(worker) as client:
            client.sendall(raw)
            client.shutdown(socket.SHUT_WR)
            assert read_all(client).startswith(b"HTTP/1.1 200 OK")  # what was sent
    assert fast_app.environs == plain_app.environs
    assert timeless(fast.access) == timeless(plain.access)


def test_a_reset_connection_is_let_go(workers: tuple[Worker, Worker, App, App]) -> None:
    fast = workers[0]
    done = threading.Event()
    with connection(fast) as client:
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        client.sendall(WELL_FORMED["ping"])
        read_answer(client)
        done.set()
    assert done.is_set()  # the serving thread ended (connection() joins it)


READS = st.lists(
    st.one_of(
        st.tuples(st.just("read"), st.one_of(st.none(), st.integers(-1, 40))),
        st.tuples(st.just("readline"), st.one_of(st.none(), st.integers(-1, 12))),
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(
    body=st.binary(max_size=40).map(lambda data: data.replace(b"x", b"\n")),
    length=st.integers(0, 50),
    pieces=st.integers(1, 4),
    reads=READS,
)
def test_the_fast_body_reads_as_gunicorns(
    body: bytes, length: int, pieces: int, reads: list[tuple[str, int | None]]
) -> None:
    def made(kind: type[Body]) -> tuple[Body, IterUnreader]:
        cut = len(body) // pieces or 1
        unreader = IterUnreader([body[i : i + cut] for i in range(cut, len(body), cut)])
        unreader.unread(body[:cut])
        return kind(LengthReader(unreader, length)), unreader

    (ours, our_source), (theirs, their_source) = made(http1.FastBody), made(Body)
    for method, size in reads:
        assert getattr(ours, method)(size) == getattr(theirs, method)(size)
        assert ours.reader.length == theirs.reader.length  # type: ignore[union-attr]
    assert ours.read() == theirs.read()
    assert our_source.read() == their_source.read()  # what follows the body


def test_an_answer_failing_once_started_ends_its_connection_and_not_the_thread(
    workers: tuple[Worker, Worker, App, App],
) -> None:
    # gunicorn closes the socket itself (close_graceful); the serving thread's `_answer`
    # used to close it again, raising EBADF out of the thread, and to forget fd -1.
    worker = workers[0].worker
    worker._lock = threading.Lock()
    worker._open, worker._epoll, worker._accepting, worker._listeners = {}, select.epoll(), True, {}
    with socket.create_server(("127.0.0.1", 0)) as listener:
        client = socket.create_connection(listener.getsockname(), timeout=30)
        accepted, address = listener.accept()
        conn = TConn(worker.cfg, accepted, address, listener.getsockname())
        worker._open[accepted.fileno()] = conn
        client.sendall(WELL_FORMED["raise-after-write"])
        client.shutdown(socket.SHUT_WR)  # close_graceful's drain then ends at once
        worker._answer(conn)  # returns: nothing raised
        answer = read_all(client)
        client.close()
    worker._epoll.close()
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"\r\n\r\npart")
    assert worker._open == {}
