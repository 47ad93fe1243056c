"""The access line written straight to gunicorn's stream handler: the bytes `logging`
writes, one whole line per request from any number of threads, and `logging` again as
soon as the log is set up any other way."""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from inferline.containers.core.settings import Settings
from inferline.containers.server import _EscapingLogger, gunicorn_options

RESPONSE = SimpleNamespace(status="200 OK", sent=42, headers=[("Content-Type", "text/csv")])
REQUEST = SimpleNamespace(
    headers=[("HOST", "x"), ("X-AMZN-SAGEMAKER-INFERENCE-ID", 'id-"7"\x1b[2J\nforged')]
)
ENVIRON = {"REQUEST_METHOD": "POST", "PATH_INFO": "/invocations\r\nfake"}
TOOK = timedelta(seconds=1, microseconds=1234)
LINE = (
    "POST /invocations\\x0d\\x0afake 200 42 bytes 1001234us "
    'inference-id=id-\\"7\\"\\x1b[2J\\x0aforged\n'
)


@pytest.fixture
def stdout(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What gunicorn's access handler is made to write to (it takes sys.stdout)."""
    stream = io.StringIO()
    monkeypatch.setattr("sys.stdout", stream)
    return stream


@pytest.fixture
def logger(stdout: io.StringIO) -> Iterator[_EscapingLogger]:
    cfg = Config()
    for name, value in gunicorn_options(Settings(model_dir=Path("/nowhere"))).items():
        cfg.set(name, value)
    made = _EscapingLogger(cfg)
    yield made
    for log in (made.access_log, made.error_log):  # loggers are global: leave them bare
        for handler in list(log.handlers):
            log.removeHandler(handler)


def access(logger: _EscapingLogger) -> None:
    logger.access(RESPONSE, REQUEST, ENVIRON, TOOK)


def test_the_line_goes_straight_to_gunicorns_stream(
    logger: _EscapingLogger, stdout: io.StringIO
) -> None:
    assert logger._direct_access is not None
    assert logger._direct_access[0].stream is stdout  # the handler gunicorn made, its stream
    access(logger)
    assert stdout.getvalue() == LINE


def test_the_straight_line_is_the_line_logging_writes(
    logger: _EscapingLogger, stdout: io.StringIO
) -> None:
    access(logger)
    logger.access_log.addFilter(lambda record: True)  # a filter: logging's own path again
    access(logger)
    assert stdout.getvalue() == LINE * 2


def test_another_handler_or_level_gets_logging_again(
    logger: _EscapingLogger, stdout: io.StringIO
) -> None:
    other = io.StringIO()
    extra = logging.StreamHandler(other)
    logger.access_log.addHandler(extra)
    access(logger)
    assert stdout.getvalue() == LINE and other.getvalue() == LINE  # both handlers wrote
    logger.access_log.removeHandler(extra)
    logger.access_log.setLevel(logging.WARNING)
    access(logger)
    assert stdout.getvalue() == LINE  # disabled by level: nothing written
    logger.access_log.setLevel(logging.INFO)
    access(logger)
    assert stdout.getvalue() == LINE * 2


def test_a_log_configuration_keeps_logging(stdout: io.StringIO) -> None:
    cfg = Config()
    for name, value in gunicorn_options(Settings(model_dir=Path("/nowhere"))).items():
        cfg.set(name, value)
    cfg.set("logconfig_dict", {"version": 1, "disable_existing_loggers": False})
    made = _EscapingLogger(cfg)
    try:
        assert made._direct_access is None
    finally:
        for log in (made.access_log, made.error_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)


def test_lines_from_many_threads_stay_whole(logger: _EscapingLogger, stdout: io.StringIO) -> None:
    threads, each = 8, 300
    start = threading.Barrier(threads)

    def write() -> None:
        start.wait()
        for _ in range(each):
            access(logger)

    workers = [threading.Thread(target=write) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert stdout.getvalue() == LINE * (threads * each)


def test_a_failed_write_is_reported_as_logging_does_and_the_request_goes_on(
    logger: _EscapingLogger, stdout: io.StringIO, capsys: pytest.CaptureFixture[str]
) -> None:
    stdout.close()  # the stream is gone (a closed pipe): write raises ValueError
    access(logger)  # does not raise
    assert "--- Logging error ---" in capsys.readouterr().err
