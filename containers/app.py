"""The Flask app of a serving container: SageMaker's HTTP contract over a loaded stage.

The views only translate HTTP into an `Invocation` and an `Answer` back; the stage
does the work and knows nothing of Flask. Every error, ours or Werkzeug's, is
answered as JSON ``{"error", "message"}``; tracebacks go to the log, never to clients.
"""

from __future__ import annotations

import json
import logging

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException

from inferline.containers.core.errors import (
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ServingError,
    error_for_status,
)
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation, Stage
from inferline.containers.core.media import MediaType, is_unspecified, parse_accept
from inferline.containers.core.protocol import CUSTOM_ATTRIBUTES, MAX_PAYLOAD_MB
from inferline.containers.core.settings import Settings

log = logging.getLogger("inferline.server")


def create_app(stage: Stage, settings: Settings) -> Flask:
    """A WSGI app answering /ping, /invocations and /execution-parameters for `stage`."""
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.request_limit
    default_accept = (MediaType.parse(settings.default_accept),) if settings.default_accept else ()

    @app.get("/ping")
    def ping() -> Response:
        """SageMaker's health check: 200, empty, within 2 s. The stage is loaded before
        the server binds its port, so answering at all means ready."""
        return Response(status=200)

    @app.post("/invocations")
    def invocations() -> Response:
        answer = stage.invoke(_invocation(settings, default_accept))
        return _response(answer)

    @app.get("/execution-parameters")
    def execution_parameters() -> Response:
        defaults: ExecutionParameters = {
            "MaxConcurrentTransforms": settings.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": settings.max_payload_in_mb or MAX_PAYLOAD_MB,
        }
        return app.json.response(stage.execution_parameters(defaults))

    @app.errorhandler(ServingError)
    def serving_error(error: ServingError) -> Response:
        if type(error) is ServingError:
            log.error("stage failed: %s", error.message)
        return _error_response(error)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        return _error_response(_from_werkzeug(error))

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception) -> Response:
        log.exception("unexpected error in %s %s", request.method, request.path)
        fault = ServingError(
            f"the stage failed on this request ({type(error).__name__}); "
            "the container log has the details"
        )
        return _error_response(fault)

    return app


def _invocation(settings: Settings, default_accept: tuple[MediaType, ...]) -> Invocation:
    body = request.get_data(cache=False)
    accept = parse_accept(request.headers.get("Accept"))
    if is_unspecified(accept) and default_accept:
        accept = default_accept
    return Invocation(
        body=body,
        content_type=MediaType.parse(request.headers.get("Content-Type", "")),
        accept=accept,
        custom_attributes=request.headers.get(CUSTOM_ATTRIBUTES),
        batch=settings.batch,
    )


def _response(answer: Answer) -> Response:
    response = Response(answer.body, status=answer.status, headers=answer.headers)
    # Set the header directly: Flask's mimetype= would append "; charset=utf-8" to
    # text/* types, which breaks the next container of a pipeline (examples#3235).
    response.headers["Content-Type"] = answer.content_type
    return response


def _error_response(error: ServingError) -> Response:
    response = Response(status=int(error.status))
    response.set_data(json.dumps(error.to_json()).encode())
    response.headers["Content-Type"] = "application/json"
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
        limit = request.max_content_length or 0
        return PayloadTooLarge(
            f"request body is over the limit of {limit} bytes; split it into smaller requests"
        )
    return error_for_status(status)(error.description or error.name)
