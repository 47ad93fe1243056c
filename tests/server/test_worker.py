"""The serving worker (containers/worker.py) under real gunicorn: the same bytes as
gunicorn's gthread, keep-alive, /ping beside a held inference, the access line, the
head of an answer sent with its body, settled settings and a Date made once a second."""

from __future__ import annotations

import http.client
import logging
import select
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email.utils import formatdate
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from inferline.containers.core.settings import Settings
from inferline.containers.fastpath import _HeadWithBody, settle
from inferline.containers.httpdate import PerSecondDate
from inferline.containers.server import ACCESS_LOG_FORMAT, _EscapingLogger, gunicorn_options
from tests import abalone
from tests.echo import echo_model, until  # noqa: F401  # echo_model is a fixture
from tests.servers import ServerProcess

READ_SECONDS = 60.0


def exchange(port: int, raw: bytes) -> bytes:
    """Send raw request bytes on a new connection, then end it; everything answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=READ_SECONDS) as sock:
        sock.sendall(raw)
        sock.shutdown(socket.SHUT_WR)  # a body cut short is cut short for good
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def without_date(answer: bytes) -> bytes:
    return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.startswith(b"Date: "))


def post(body: str, content_type: str = "text/csv", close: bool = True) -> bytes:
    connection = "Connection: close\r\n" if close else ""
    return (
        f"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
        f"Accept: text/csv\r\n{connection}Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


# Proxy headers from a loopback peer (gunicorn's default trusted it): neither the scheme
# headers (conflicting: a 400 when trusted) nor SCRIPT_NAME (a mismatch when trusted) count.
PROXY_HEADERS = post(abalone.SAMPLE).replace(
    b"Host: x\r\n",
    b"Host: x\r\nX-Forwarded-Proto: https\r\nX-Forwarded-Proto: http\r\nSCRIPT_NAME: /other\r\n",
)

RAW_REQUESTS = [
    post(abalone.SAMPLE),
    post("M,not,a,number"),
    post("x", content_type="image/png"),
    b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /execution-parameters HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n",
    # pipelined: gunicorn answers the first and closes; the worker must do the same
    post(abalone.SAMPLE, close=False) + post("x", "image/png", close=False) + post("1"),
    PROXY_HEADERS,
]


@pytest.fixture(scope="module")
def servers(
    featurizer_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    logs = tmp_path_factory.mktemp("worker-logs")
    with ServerProcess.start(featurizer_dir, logs / "direct.log") as direct:
        stock_worker = {"INFERLINE_WORKER_CLASS": "gunicorn-gthread"}
        with ServerProcess.start(featurizer_dir, logs / "gunicorn.log", env=stock_worker) as stock:
            yield direct, stock


def test_the_default_worker_answers_byte_for_byte_what_gunicorns_gthread_does(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, stock = servers
    assert "Using worker: JsonErrorsDirectWorker" in direct.output()
    assert "Using worker: JsonErrorsThreadWorker" in stock.output()
    for raw in RAW_REQUESTS:
        ours, theirs = exchange(direct.port, raw), exchange(stock.port, raw)
        assert ours.startswith(b"HTTP/1.1 ")
        assert without_date(ours) == without_date(theirs), raw


# On one kept-alive connection, each answer read before the next request is sent.
KEPT_ALIVE = [
    b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n",
    post(abalone.SAMPLE, close=False),
    post(
        '{"instances": [["M", 0.455, 0.365, 0.095, 0.514, 0.2245, 0.101, 0.15]]}',
        "application/json",
        close=False,
    ),  # fmt: skip
    post(abalone.SAMPLE, close=False).replace(
        b"Host: x\r\n",
        b"Host: x\r\nX-Amzn-SageMaker-Custom-Attributes: trace=1\r\n"
        b"X-Amzn-SageMaker-Inference-Id: id-7\r\n",
    ),
    b"HEAD /ping HTTP/1.1\r\nHost: x\r\n\r\n",
    post((abalone.SAMPLE.rstrip("\n") + "\n") * 3000, close=False),  # a body of many recv()s
    b"GET /execution-parameters HTTP/1.1\r\n\r\n",
    b"GET /ping HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    post("M,not,a,number", close=False),
    b"GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
]
# Each is gunicorn's to parse (the fast path declines it): the same answer, refusals as JSON.
DECLINED = [
    b"GET /ping\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nX_Forwarded_For: 1.2.3.4\r\nConnection: close\r\n\r\n",
    b"GET /ping HTTP/1.1\r\nA: b\r\n c\r\n\r\n",
    b"GET /p\x01ng HTTP/1.1\r\n\r\n",
    b"GET /" + b"x" * 5000 + b" HTTP/1.1\r\n\r\n",
    b"GET /ping HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(120)) + b"\r\n",
    b"GET /ping HTTP/1.1\r\nA: " + b"v" * 9000 + b"\r\n\r\n",
    b"POST /invocations HTTP/1.1\r\nContent-Type: text/csv\r\nAccept: text/csv\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    + b"%x\r\n%s\r\n0\r\n\r\n"
    % (len(abalone.SAMPLE), abalone.SAMPLE.encode()),
    post(abalone.SAMPLE).replace(b"Host: x\r\n", b"Host: x\r\nExpect: 100-continue\r\n"),
    b"POST /invocations HTTP/1.1\r\nExpect: tea\r\n\r\n",
    b"GET /ping HTTP/1.2\r\n\r\n",
    b"GET /ping HTTP/1.1\nHost: x\n\n",
]


def read_answer(sock: socket.socket, head_only: bool) -> bytes:
    """One answer with a Content-Length (a HEAD's: no body) off a kept-alive socket."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0 if head_only else int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += sock.recv(65536)
    assert len(body) == length
    return head + b"\r\n\r\n" + body


def kept_alive(port: int, raws: list[bytes]) -> list[bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=READ_SECONDS) as sock:
        answers = []
        for raw in raws:
            sock.sendall(raw)
            answers.append(read_answer(sock, raw.startswith(b"HEAD ")))
        assert sock.recv(1) == b""  # closed after Connection: close
    return answers


def test_kept_alive_requests_answer_byte_for_byte_what_gunicorns_gthread_does(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, stock = servers
    ours, theirs = kept_alive(direct.port, KEPT_ALIVE), kept_alive(stock.port, KEPT_ALIVE)
    assert [without_date(answer) for answer in ours] == [without_date(a) for a in theirs]
    assert [answer.split(b"\r\n", 1)[0] for answer in ours] == [
        b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK",
        b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK",
        b"HTTP/1.1 422 UNPROCESSABLE ENTITY", b"HTTP/1.1 200 OK",
    ]  # fmt: skip


def test_requests_the_fast_path_declines_get_gunicorns_answers(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, stock = servers
    for raw in DECLINED:
        ours, theirs = exchange(direct.port, raw), exchange(stock.port, raw)
        assert ours.startswith(b"HTTP/1."), raw  # HTTP/1.2 is answered as 1.2 by the Python parser
        assert without_date(ours) == without_date(theirs), raw


def test_one_connection_carries_a_hundred_requests(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, _ = servers
    connection = http.client.HTTPConnection("127.0.0.1", direct.port, timeout=READ_SECONDS)
    try:
        connection.connect()
        sock = connection.sock
        for _ in range(100):
            connection.request("POST", "/invocations", abalone.SAMPLE, {"Content-Type": "text/csv"})
            response = connection.getresponse()
            assert response.status == 200 and response.read()
            assert not response.will_close
        assert connection.sock is sock  # never reconnected
    finally:
        connection.close()


def test_ping_is_answered_while_an_inference_holds_a_thread(
    echo_model: Path,  # noqa: F811  # the fixture
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    environment = {"ECHO_NAME": "a", "ECHO_STATE": str(state)}
    with ServerProcess.start(echo_model, tmp_path / "echo.log", env=environment) as server:
        answers: list[int] = []

        def held() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
            connection.request("POST", "/invocations", "hold a", {"Content-Type": "text/plain"})
            answers.append(connection.getresponse().status)
            connection.close()

        caller = threading.Thread(target=held)
        caller.start()
        try:
            until(lambda: sleeping_threads(server) or None, "a worker thread to hold the request")
            ping = http.client.HTTPConnection("127.0.0.1", server.port, timeout=READ_SECONDS)
            ping.request("GET", "/ping")
            assert ping.getresponse().status == 200
            ping.close()
            assert not answers  # still held
        finally:
            (state / "release").touch()
            caller.join(timeout=120)
        assert answers == [200]


def sleeping_threads(server: ServerProcess) -> int:
    """Threads of the server's workers asleep in time.sleep (the echo model holding a
    request, polling for its release file), read from /proc."""
    master = server.process.pid
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    asleep = 0
    for child in children:
        for task in Path(f"/proc/{child}/task").iterdir():
            try:
                asleep += "nanosleep" in (task / "wchan").read_text()
            except OSError:  # the thread ended meanwhile
                continue
    return asleep


def test_the_access_line_is_what_gunicorns_own_access_writes() -> None:
    cfg = SimpleNamespace(access_log_format=ACCESS_LOG_FORMAT, accesslog="-")
    logger = _EscapingLogger.__new__(_EscapingLogger)
    logger.cfg = cfg
    logger._access_log_enabled = True
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger.access_log = logging.getLogger("test-worker-access")
    logger.access_log.propagate = False
    logger.access_log.setLevel(logging.INFO)
    logger.access_log.addHandler(Keep())
    response = SimpleNamespace(status="200 OK", sent=42, headers=[("Content-Type", "text/csv")])
    request = SimpleNamespace(
        headers=[("X-AMZN-SAGEMAKER-INFERENCE-ID", 'a"b\x1b[2J\nforged'), ("HOST", "x")]
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/invocations\r\nfake",
        "RAW_URI": "/invocations",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    took = timedelta(microseconds=1234)
    logger.access(response, request, environ, took)
    cfg.access_log_format = ACCESS_LOG_FORMAT + " "  # not ours: gunicorn's own path
    logger.access(response, request, environ, took)
    assert lines[0] + " " == lines[1]
    assert lines[0] == (
        'POST /invocations\\x0d\\x0afake 200 42 bytes 1234us inference-id=a\\"b\\x1b[2J\\x0aforged'
    )


def test_the_head_waits_for_the_body_and_leaves_with_it() -> None:
    ours, peer = socket.socketpair()
    with ours, peer:
        writer = _HeadWithBody(ours)
        writer.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
        assert not select.select([peer], [], [], 0)[0]  # held
        writer.sendall(b"42")
        assert peer.recv(1024) == b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n42"
        writer.sendall(b"more")  # after the first two, writes go straight out
        assert peer.recv(1024) == b"more"
        empty = _HeadWithBody(ours)
        empty.sendall(b"HTTP/1.1 204 NO CONTENT\r\n\r\n")
        empty.flush()  # a response without a body: its head, at the end
        assert peer.recv(1024) == b"HTTP/1.1 204 NO CONTENT\r\n\r\n"


def date_of(answer: bytes) -> str:
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    return next(line for line in head.split("\r\n") if line.startswith("Date: "))[6:]


def test_proxy_headers_from_loopback_are_ignored(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, _ = servers
    plain = exchange(direct.port, post(abalone.SAMPLE))
    assert plain.startswith(b"HTTP/1.1 200 ")
    assert without_date(exchange(direct.port, PROXY_HEADERS)) == without_date(plain)


def test_the_date_is_the_second_the_answer_was_made_in(
    servers: tuple[ServerProcess, ServerProcess],
) -> None:
    direct, _ = servers
    ping = RAW_REQUESTS[3]
    seen: list[str] = []

    def answered_in_a_new_second() -> bool | None:
        before = int(time.time())
        date = date_of(exchange(direct.port, ping))
        after = int(time.time())
        assert date in {formatdate(second, usegmt=True) for second in range(before, after + 1)}
        seen.append(date)
        return True if len(set(seen)) > 1 else None  # the cached text moved on with the clock

    until(answered_in_a_new_second, "a Date header of the next second", seconds=10)


def test_the_per_second_date_is_gunicorns_text() -> None:
    date = PerSecondDate()
    assert date(1_700_000_000.75) == "Tue, 14 Nov 2023 22:13:20 GMT"
    while True:  # the same second on both sides of the call, else look again
        second = int(time.time())
        text = date()
        if int(time.time()) == second:
            break
    assert text == formatdate(second, usegmt=True) == formatdate(second + 0.5, usegmt=True)
    assert date() is date() or int(time.time()) != second  # made once within a second


def test_settled_settings_read_as_gunicorn_reads_them() -> None:
    cfg = Config()
    for name, value in gunicorn_options(Settings(model_dir=Path("/nowhere"))).items():
        cfg.set(name, value)
    names = sorted(cfg.settings)
    before = {name: getattr(cfg, name) for name in names}
    properties = (cfg.is_ssl, cfg.sendfile, cfg.worker_class_str, cfg.proc_name)
    settle(cfg)
    assert {name: getattr(cfg, name) for name in names} == before
    assert (cfg.is_ssl, cfg.sendfile, cfg.worker_class_str, cfg.proc_name) == properties
    assert all(name in vars(cfg) for name in names)  # plain attributes now: no __getattr__
