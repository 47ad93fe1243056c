"""The one error tree of inferline; each HTTP error carries its status.

A single Flask handler renders every `ServingError` as JSON
``{"error": <class name>, "message": <what went wrong and how to fix it>}``::

    ServingError                 500  a fault inside the stage (the message is generic)
    ├── BadRequest               400  malformed body (row and column named)
    ├── NotFound                 404  no such route
    ├── MethodNotAllowed         405  route exists, method does not
    ├── NotAcceptable            406  no codec can produce the Accept
    ├── PayloadTooLarge          413  body over the request limit
    ├── UnsupportedMediaType     415  no codec can read the Content-Type
    ├── UnprocessableEntity      422  body decodes but does not fit the model
    └── ServiceUnavailable       503  model not loaded (yet)

    InferlineError               startup and tooling errors, not HTTP
    ├── ConfigurationError       a bad environment variable or flag, named
    └── ModelLoadError           the model directory or archive cannot be served

`error_for_status(415)` maps a status back to its class, so clients of a container
(the pipeline harness) can raise the same error a container answered with.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import ClassVar


class InferlineError(Exception):
    """Base of the errors raised outside a request (startup, CLI, harness)."""


class ConfigurationError(InferlineError, ValueError):
    """A setting (environment variable or flag) is invalid; the message names it."""


class ModelLoadError(InferlineError):
    """The model directory or archive cannot be loaded; the message says why."""


class ServingError(Exception):
    """An error answered to an HTTP client, with the status it maps to."""

    status: ClassVar[HTTPStatus] = HTTPStatus.INTERNAL_SERVER_ERROR
    _by_status: ClassVar[dict[int, type[ServingError]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        ServingError._by_status.setdefault(int(cls.status), cls)

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"error": type(self).__name__, "message": self.message}


class BadRequest(ServingError, ValueError):
    status = HTTPStatus.BAD_REQUEST


class NotFound(ServingError):
    status = HTTPStatus.NOT_FOUND


class MethodNotAllowed(ServingError):
    status = HTTPStatus.METHOD_NOT_ALLOWED


class NotAcceptable(ServingError):
    status = HTTPStatus.NOT_ACCEPTABLE


class PayloadTooLarge(ServingError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE


class UnsupportedMediaType(ServingError, ValueError):
    status = HTTPStatus.UNSUPPORTED_MEDIA_TYPE


class UnprocessableEntity(ServingError, ValueError):
    status = HTTPStatus.UNPROCESSABLE_ENTITY


class ServiceUnavailable(ServingError):
    status = HTTPStatus.SERVICE_UNAVAILABLE


ServingError._by_status[int(HTTPStatus.INTERNAL_SERVER_ERROR)] = ServingError


def error_for_status(status: int) -> type[ServingError]:
    """The error class for an HTTP status; unknown 4xx are BadRequest, 5xx ServingError."""
    if status in ServingError._by_status:
        return ServingError._by_status[status]
    return BadRequest if 400 <= status < 500 else ServingError
