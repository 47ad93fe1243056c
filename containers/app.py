"""The Flask app of a serving container: SageMaker's HTTP contract over a loaded stage.

The views only hand the body and headers to the HTTP-free `ContainerHandler` (which
the in-process pipeline runner uses too) and send its `Reply` back; the stage does
the work and knows nothing of Flask. Every error, ours or Werkzeug's, is
answered as JSON ``{"error", "message"}``; tracebacks go to the log, never to clients.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

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
        return app.json.response(handler.execution_parameters())

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

    return app


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
