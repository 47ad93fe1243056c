"""`inferline serve`: load the stage, then run it under gunicorn.

The stage is loaded once in the gunicorn master before any worker forks (preload),
so a model that cannot load is a clear startup error rather than a crash loop, the
port is bound only when the model is ready, and workers share the model's memory.
Workers are threaded: keep-alive connections between pipeline hops, and a /ping is
answered by another thread while an inference runs (docs/benchmarks.md compares
gthread and sync workers). The threaded worker is gthread's request code with each
thread waiting for its own requests (`containers/worker.py`, Linux), which saves a
thread hand-off per request; INFERLINE_WORKER_CLASS=gunicorn-gthread is gunicorn's own.

A model.tar.gz is extracted once into a shared cache (`modeldir.open_model_dir`) and
removed when the server stops (SIGTERM, SIGINT, a failed start); a crash restart
reuses it. What a client sends reaches the log only escaped: control characters in a
path or an inference id cannot forge a log line. Requests gunicorn refuses before the
app sees them (a 64 KB header, a malformed request line) are answered as JSON too.
"""

from __future__ import annotations

import logging
import re
import socket
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from flask import Flask
from gunicorn import glogging, util
from gunicorn.app.base import BaseApplication
from gunicorn.http import errors as http_errors
from gunicorn.workers.gthread import ThreadWorker
from gunicorn.workers.sync import SyncWorker
from werkzeug.exceptions import BadRequest as WerkzeugBadRequest

from inferline import stages
from inferline.containers import bootsignals, worker
from inferline.containers.app import create_app
from inferline.containers.core import modeldir, protocol
from inferline.containers.core.refusal import refusal
from inferline.containers.core.settings import Settings

ACCESS_LOG_FORMAT = (
    "%(m)s %(U)s %(s)s %(B)s bytes %(D)sus inference-id=%({x-amzn-sagemaker-inference-id}i)s"
)
GUNICORN_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
KEEPALIVE_SECONDS = 75  # longer than any client's idle pool, so a reused connection is open
GRACEFUL_SECONDS = 25  # SageMaker sends SIGKILL 30 s after SIGTERM


class _Gunicorn(BaseApplication):
    """Gunicorn running an app object we already built (no import string)."""

    def __init__(self, app: Flask, options: dict[str, Any]) -> None:
        self._app = app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        return _body_errors_as_400(self._app)

    def run(self) -> None:
        # BaseApplication.run, with the arbiter that keeps a booting worker's signals
        try:
            bootsignals.BootSafeArbiter(self).run()
        except RuntimeError as error:  # gunicorn's own: a bad setting, printed and exit 1
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)


class _CheckedInput:
    """wsgi.input whose framing errors (a bad chunk size, a body cut short) are 400s.

    Gunicorn raises them from `read` inside the app, where they would be the app's
    500; werkzeug's BadRequest is answered by the app's error handler as our JSON 400.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    # Each method calls the stream itself: read is on every request's path.
    def read(self, *args: Any) -> bytes:
        try:
            data: bytes = self._stream.read(*args)
        except _FRAMING_ERRORS as error:
            raise _bad_body(error) from None
        return data

    def readline(self, *args: Any) -> bytes:
        try:
            line: bytes = self._stream.readline(*args)
        except _FRAMING_ERRORS as error:
            raise _bad_body(error) from None
        return line

    def readlines(self, *args: Any) -> list[bytes]:
        try:
            lines: list[bytes] = self._stream.readlines(*args)
        except _FRAMING_ERRORS as error:
            raise _bad_body(error) from None
        return lines

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.readline, b"")


_FRAMING_ERRORS = (http_errors.ParseException, http_errors.NoMoreData)


def _bad_body(error: Exception) -> WerkzeugBadRequest:
    return WerkzeugBadRequest(
        escape_controls(f"malformed request body ({type(error).__name__}): {error}")
    )


def _body_errors_as_400(app: Flask) -> Any:
    def checked(environ: dict[str, Any], start_response: Any) -> Any:
        environ["wsgi.input"] = _CheckedInput(environ["wsgi.input"])
        return app(environ, start_response)

    return checked


# C0 and C1 controls and DEL: a newline in a path would start a forged log line, an
# escape sequence would rewrite the terminal showing the log.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def escape_controls(text: str) -> str:
    """`text` with control characters written as \\xNN (newlines too), for a log line."""
    if text.isascii() and text.isprintable():  # printable ASCII has no control: nothing to do
        return text
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


class _EscapingFormatter(logging.Formatter):
    """Escapes the message (which may hold a client's path or header), not the traceback."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802  # logging's name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)


_PlainHandler = tuple["logging.StreamHandler[Any]", logging.Formatter | None]


class _EscapingLogger(glogging.Logger):
    """Gunicorn's logger with every access-log value and error message escaped.

    The access line of ACCESS_LOG_FORMAT is written straight from the five values it
    shows: gunicorn's own `access` builds a dict of every header, environ key and time
    format first, a large share of a one-row hop's cost (docs/benchmarks.md, "Per hop").
    The line is the same as gunicorn would write (quotes escaped as its SafeAtoms does).
    While the access log is gunicorn's own stream handler (`accesslog = "-"`, no log
    configuration), the line goes to that stream as the handler writes it (under its
    lock, then flushed) without a LogRecord: `logging`'s caller lookup, record and
    formatting cost more than the rest of the line; any other setup goes through logging.
    """

    def atoms(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: timedelta
    ) -> Any:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: escape_controls(v) if isinstance(v, str) else v for k, v in atoms.items()}

    def access(
        self, resp: Any, req: Any, environ: MutableMapping[str, Any], request_time: timedelta
    ) -> None:
        if self.cfg.access_log_format != ACCESS_LOG_FORMAT:
            super().access(resp, req, environ, request_time)
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        self.access_line(
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            status,
            resp.sent,
            request_time.seconds * 1_000_000 + request_time.microseconds,
            req.headers,
        )

    def access_line(
        self,
        method: object,
        path: object,
        status: object,
        sent: int,
        micros: int,
        headers: list[tuple[str, str]],
    ) -> None:
        """The access line of ACCESS_LOG_FORMAT from its values (`headers`: the request's,
        gunicorn's upper-case names)."""
        if not self.access_log_enabled:
            return
        inference_id = "-"
        for name, value in headers:  # the last one wins
            if name == _INFERENCE_ID_HEADER:
                inference_id = value
        line = (
            f"{_log_value(method)} {_log_value(path)} {_log_value(status)} {sent} bytes "
            f"{micros}us inference-id={_log_value(inference_id)}"
        )
        self._write_access(line)

    def direct_access_line(self) -> Any:
        """`access_line`, which the worker's lean path calls itself, while the format is
        ACCESS_LOG_FORMAT (settled for a worker's life); else None: `access` for each."""
        return self.access_line if self.cfg.access_log_format == ACCESS_LOG_FORMAT else None

    # gunicorn's own access handler and its formatter, while they are plain (setup)
    _direct_access: _PlainHandler | None = None

    def _write_access(self, line: str) -> None:
        """One access line, through logging unless the handler checked in setup is still
        the only one, unchanged (a handler or filter added later gets logging again)."""
        log = self.access_log
        direct = self._direct_access
        if (
            direct is None
            or log.propagate
            or log.handlers != [direct[0]]
            or direct[0].formatter is not direct[1]
            or log.filters
            or direct[0].filters
            or direct[0].level > logging.INFO
            or not log.isEnabledFor(logging.INFO)
        ):
            log.info("%s", line)
            return
        handler = direct[0]
        handler.acquire()  # what Handler.handle and StreamHandler.emit do, minus the record
        try:
            handler.stream.write(line + handler.terminator)
            handler.stream.flush()
        except RecursionError:
            raise
        except Exception:  # as StreamHandler.emit: reported on stderr, the request goes on
            handler.handleError(logging.makeLogRecord({"msg": line, "name": log.name}))
        finally:
            handler.release()

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.setFormatter(_EscapingFormatter(self.error_fmt, self.datefmt))
        self._direct_access = _plain_access_handler(self, cfg)


def _plain_access_handler(logger: glogging.Logger, cfg: Any) -> _PlainHandler | None:
    """gunicorn's own access handler and its formatter, when writing the line straight to
    its stream is what logging would do: a plain StreamHandler (accesslog "-"), the line
    as the whole message, nothing else configured to see access records."""
    log = logger.access_log
    handlers = log.handlers
    configured = cfg.logconfig or cfg.logconfig_dict or cfg.logconfig_json or cfg.syslog
    if configured or log.propagate or len(handlers) != 1:
        return None
    handler = handlers[0]
    plain = (
        type(handler) is logging.StreamHandler
        and getattr(handler, "_gunicorn", False)  # the one glogging made
        and handler.level <= logging.INFO
        and type(handler.formatter) is logging.Formatter
        and logger.access_fmt == "%(message)s"  # what glogging made that formatter with
    )
    if not plain:
        return None
    return cast("logging.StreamHandler[Any]", handler), handler.formatter


_INFERENCE_ID_HEADER = protocol.INFERENCE_ID.upper()


def _log_value(value: object) -> str:
    """An access-log value as gunicorn's SafeAtoms writes it, control characters escaped."""
    if not isinstance(value, str):
        return str(value)
    return escape_controls(value).replace('"', '\\"')


# The app's own bad response headers (gunicorn >= 23): its fault, gunicorn's 500 stands.
_RESPONSE_HEADER_ERRORS: tuple[type[Exception], ...] = tuple(
    getattr(http_errors, name)
    for name in ("InvalidResponseHeader", "InvalidResponseHeaderName")
    if hasattr(http_errors, name)
)
_GUNICORN_STATUS: dict[type[Exception], tuple[int, str]] = {
    http_errors.LimitRequestHeaders: (431, "request headers are too large"),
    http_errors.LimitRequestLine: (414, "request line (method and path) is too long"),
    http_errors.ExpectationFailed: (417, "Expect header not supported"),
}


class _JsonErrors:
    """A gunicorn worker mixin: requests refused while parsing get our JSON error shape.

    Gunicorn answers them itself (before the Flask app) with an HTML page; this writes
    ``{"error": "BadRequest", "message": ...}`` instead (`core.refusal`, which the
    harness's front door writes too), so every 4xx has one shape.
    """

    log: Any

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: Exception) -> None:
        refused = isinstance(exc, http_errors.ParseException) and not isinstance(
            exc, _RESPONSE_HEADER_ERRORS
        )
        if not refused or isinstance(exc, http_errors.UnsupportedTransferCoding):
            super().handle_error(req, client, addr, exc)  # type: ignore[misc]  # the worker's
            return
        status, what = next(
            (known for kind, known in _GUNICORN_STATUS.items() if isinstance(exc, kind)),
            (400, "malformed request"),
        )
        message = escape_controls(f"{what}: {exc}")
        self.log.warning("refused a request from %s: %d %s", (addr or ("",))[0], status, message)
        try:
            util.write_nonblock(client, refusal(status, message))
        except OSError:
            self.log.debug("could not send the error answer")


class JsonErrorsThreadWorker(  # type: ignore[misc]
    bootsignals.UnblocksAfterBoot, _JsonErrors, ThreadWorker
):
    """gthread, with gunicorn's own refusals answered as JSON."""


class JsonErrorsSyncWorker(  # type: ignore[misc]
    bootsignals.UnblocksAfterBoot, _JsonErrors, SyncWorker
):
    """sync, with gunicorn's own refusals answered as JSON."""


class JsonErrorsDirectWorker(  # type: ignore[misc]
    bootsignals.UnblocksAfterBoot, _JsonErrors, worker.DirectThreadWorker
):
    """gthread without the per-request hand-off (`containers/worker.py`), refusals as JSON."""


def _worker_class(settings: Settings) -> type[Any]:
    # As gunicorn does for "sync": threads > 1 means the threaded worker.
    if settings.worker_class == "sync" and settings.threads <= 1:
        return JsonErrorsSyncWorker
    if settings.worker_class == "gunicorn-gthread" or not worker.available():
        return JsonErrorsThreadWorker
    return JsonErrorsDirectWorker


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    level = GUNICORN_LEVELS.get(settings.log_level - settings.log_level % 10, "info")
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": settings.workers,
        "worker_class": _worker_class(settings),
        "threads": settings.threads,
        "timeout": settings.timeout,
        "graceful_timeout": GRACEFUL_SECONDS,
        "keepalive": KEEPALIVE_SECONDS,
        # No proxy header is trusted from any peer: a container's callers (SageMaker's
        # front end, the harness's hops) are never proxies whose X-Forwarded-Proto or
        # SCRIPT_NAME means anything, and gunicorn's default trusted loopback, so a local
        # container answered such headers differently from a deployed one. With nothing
        # to trust, "*" skips gunicorn's per-request check of the peer's address.
        "forwarded_allow_ips": "*",
        "secure_scheme_headers": {},
        "forwarder_headers": "",
        "preload_app": True,
        "accesslog": "-",
        "access_log_format": ACCESS_LOG_FORMAT,
        "errorlog": "-",
        "loglevel": level,
        "proc_name": "inferline",
        # One shared control socket path would collide between the containers of a pipeline.
        "control_socket_disable": True,
        "logger_class": _EscapingLogger,
    }


def build_app(settings: Settings, model_dir: Path | None = None) -> Flask:
    """Load the stage from `model_dir` (default: settings') and wrap it in the Flask app.

    A model.tar.gz must be opened first (`modeldir.open_model_dir`), as `serve` does.
    """
    directory = model_dir or modeldir.resolve(settings.model_dir)
    stage = stages.load(settings.stage, directory, settings)
    return create_app(stage, settings)


@contextmanager
def _model_dir(settings: Settings) -> Iterator[Path]:
    """The model directory, an extraction of it removed however the server ends.

    Gunicorn's master leaves `run()` by SystemExit on SIGTERM/SIGINT and on a failed
    start (a port in use), so the `finally` in `open_model_dir` runs in each case; a
    forked worker exiting through the same frames does not release it (owner check).
    """
    with modeldir.open_model_dir(
        settings.model_dir, settings.max_extracted_bytes, settings.max_archive_members
    ) as directory:
        yield directory


def serve(settings: Settings) -> None:
    """Load the model, then serve until SIGTERM (graceful: in-flight requests finish)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_EscapingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    with _model_dir(settings) as model_dir:
        app = build_app(settings, model_dir)
        logging.getLogger("inferline.server").info(
            "serving %s on %s:%d", settings.model_dir, settings.host, settings.port
        )
        _Gunicorn(app, gunicorn_options(settings)).run()
