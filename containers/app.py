"""The Flask app of a serving container: SageMaker's HTTP contract over a loaded stage.

The views only hand the body and headers to the HTTP-free `ContainerHandler` (which
the in-process pipeline runner uses too) and send its `Reply` back; the stage does
the work and knows nothing of Flask. Every error, ours or Werkzeug's, is
answered as JSON ``{"error", "message"}``; tracebacks go to the log, never to clients.

POST /invocations with a Content-Length within the limit, the one hot route of a
pipeline hop, skips Flask's request and response objects (`FastInvocations`: Flask
cost more per hop than the handler; docs/benchmarks.md, "Performance work"); every
other request, and any the fast path does not take, goes through the Flask views.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask, Response, jsonify, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException
from werkzeug.http import HTTP_STATUS_CODES

from inferline.containers.core.container import (
    ContainerHandler,
    Reply,
    error_reply,
    too_large_message,
)
from inferline.containers.core.errors import (
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServingError,
    error_for_status,
)
from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings
from inferline.containers.lazycontext import lazy_request_context

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

log = logging.getLogger("inferline.server")


def create_app(stage: Stage, settings: Settings) -> Flask:
    """A WSGI app answering /ping, /invocations and /execution-parameters for `stage`."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.request_limit
    handler = ContainerHandler(stage, settings)

    @app.get("/ping")
    def ping() -> Response:
        """SageMaker's health check: 200, empty, within 2 s. The stage is loaded before
        the server binds its port, so answering at all means ready."""
        return Response(status=200)

    @app.post("/invocations")
    def invocations() -> Response:
        return _response(handler.invoke(request.get_data(cache=False), request.headers))

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        return jsonify(handler.execution_parameters())  # app.json.response, typed as Flask's

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _response(error_reply(_from_werkzeug(error)))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.path)
        fault = ServingError(
            f"the server failed on this request ({type(error).__name__}); "
            "the container log has the details"
        )
        return _response(error_reply(fault))

    fast = FastInvocations(app, handler, settings.request_limit)
    app.wsgi_app = fast  # type: ignore[method-assign]  # Flask documents wrapping wsgi_app
    return app


_SET = frozenset({"content-type", "content-length"})  # written from the reply itself


# inferline's own stage classes (by qualified name, so that this imports none of them):
# their code never reads flask.request, so their hop skips Flask's request context.
CONTEXT_FREE_STAGES = frozenset(
    {
        "inferline.stages.sklearn.stage.SklearnStage",
        "inferline.stages.sparkml.stage.SparkMLStage",
        "inferline.stages.xgboost.stage.XGBoostStage",
        "inferline.stages.linear_learner.stage.LinearLearnerStage",
        "inferline.stages.blazingtext.stage.BlazingTextStage",
    }
)


def reads_flask_request(stage: Stage) -> bool:
    """Whether `stage` may read `flask.request`: any but inferline's own classes (an
    inference script, a third-party kind, a subclass) may, as AWS's container calls
    scripts from a Flask view."""
    kind = type(stage)
    return f"{kind.__module__}.{kind.__qualname__}" not in CONTEXT_FREE_STAGES


class FastInvocations:
    """WSGI middleware answering POST /invocations from the handler, without Flask's views.

    The answer is the one the Flask view gives (same status, headers and body);
    requests without a usable Content-Length (chunked, over the limit) go to Flask,
    which answers them (413 as JSON, for one). A stage that may read `flask.request`
    (`reads_flask_request`: SageMaker inference scripts) runs inside Flask's request
    context, with the body put back for it, the context built only if the stage uses it
    (`lazy_request_context`); inferline's own stages run without it (docs/benchmarks.md,
    "Per hop").
    """

    def __init__(self, flask_app: Flask, handler: ContainerHandler, limit: int) -> None:
        self.flask_app = flask_app
        self.app: WSGIApplication = flask_app.wsgi_app
        self.handler = handler
        self.limit = limit
        self.request_context = reads_flask_request(handler.stage)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        length = environ.get("CONTENT_LENGTH") or ""
        if (
            environ.get("PATH_INFO") != "/invocations"
            or environ.get("REQUEST_METHOD") != "POST"
            or not length.isdigit()
            or int(length) > self.limit
            or "HTTP_TRANSFER_ENCODING" in environ  # chunked: werkzeug decodes it
        ):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        if self.request_context:
            environ["wsgi.input"] = io.BytesIO(body)
            with lazy_request_context(self.flask_app, environ):
                reply = self.handler.invoke(body, EnvironHeaders(environ))
        else:
            reply = self.handler.invoke(body, EnvironHeaders(environ))
        headers = [
            *((name, value) for name, value in reply.headers.items() if name.lower() not in _SET),
            ("Content-Type", reply.content_type),
            ("Content-Length", str(len(reply.body))),
        ]
        reason = HTTP_STATUS_CODES.get(reply.status, "unknown").upper()  # as werkzeug writes it
        start_response(f"{reply.status} {reason}", headers)
        return [reply.body]


def _response(reply: Reply) -> Response:
    response = Response(reply.body, status=reply.status, headers=reply.headers)
    # Set the header directly: Flask's mimetype= would append "; charset=utf-8" to
    # text/* types, which breaks the next container of a pipeline (examples#3235).
    response.headers["Content-Type"] = reply.content_type
    return response


def _from_werkzeug(error: HTTPException) -> ServingError:
    status = error.code or 500
    if status == 404:
        return NotFound(
            f"no route {request.method} {request.path}; this container serves "
            "GET /ping, POST /invocations and GET /execution-parameters"
        )
    if status == 405:
        return MethodNotAllowed(f"{request.method} is not allowed on {request.path}")
    if status == 413:
        return PayloadTooLarge(too_large_message(request.max_content_length or 0))
    return error_for_status(status)(error.description or error.name)
