"""The one error tree of inferline: every error it raises on purpose is a branch here.

Each branch knows how it is shown: a container answers a `ServingError` as JSON
``{"error": <class name>, "message": ...}`` with its status; an endpoint (the harness,
the in-process runner) answers an `InvocationError` in SageMaker Runtime's shapes,
with the ``x-amzn-ErrorType`` botocore reads; the rest stop a command with exit 2::

    InferlineError
    ├── ServingError                 500  a fault inside the stage (the message is generic)
    │   ├── BadRequest               400  malformed body (row and column named)
    │   ├── NotFound                 404  no such route
    │   ├── MethodNotAllowed         405  route exists, method does not
    │   ├── NotAcceptable            406  no codec can produce the Accept
    │   ├── PayloadTooLarge          413  body over the container's request limit
    │   ├── UnsupportedMediaType     415  no codec can read the Content-Type
    │   ├── UnprocessableEntity      422  body decodes but does not fit the model
    │   └── ServiceUnavailable       503  model not loaded (yet)
    ├── InvocationError                   an endpoint's answer (SageMaker Runtime)
    │   ├── ValidationError          400  unknown endpoint/variant/container, bad header
    │   ├── InvocationTooLarge       413  request over InvokeEndpoint's 6 MB
    │   └── ModelError               424  a container answered 4xx/5xx, crashed or timed out
    ├── ConfigurationError                a bad environment variable, flag or file, named
    │   └── DefinitionError               a CreateModel / endpoint file breaks SageMaker's rules
    ├── ModelLoadError                    a model directory or archive cannot be served
    │   └── ModelDataError                a ModelDataUrl cannot be found or fetched
    ├── TransformError                    a batch transform file cannot be processed
    │   ├── SplitError                    the file does not split into records
    │   ├── RecordTooLarge                one record is over MaxPayloadInMB
    │   └── RecordError                   a record cannot be filtered or joined
    ├── ApiError                     400  the control plane's AWS error codes
    │                                     (ValidationException, ...: controlplane/errors.py)
    ├── StartupError                      containers did not pass the ping health check
    ├── StateError                        no running harness matches
    ├── BuildError                        an image, wheelhouse or local base failed to build
    └── EngineError                       the docker engine is missing or failed

`error_for_status(415)` maps a container's status back to its class, so clients of a
container can raise the same error a container answered with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import ClassVar


class InferlineError(Exception):
    """The root: every error inferline raises on purpose."""


class ConfigurationError(InferlineError, ValueError):
    """A setting (environment variable or flag) is invalid; the message names it."""


class ModelLoadError(InferlineError):
    """The model directory or archive cannot be loaded; the message says why."""


class ServingError(InferlineError):
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


class InvocationError(InferlineError):
    """An invocation of an endpoint failed; `status`, `error_type` and `payload` answer it."""

    status = 400
    error_type = "ValidationError"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def payload(self) -> dict[str, object]:
        return {"error": self.error_type, "message": self.message}


class ValidationError(InvocationError):
    """The request itself is wrong (unknown endpoint, bad header): 400, as SageMaker."""


class InvocationTooLarge(InvocationError):
    """The request body is over the InvokeEndpoint limit: 413, before any container."""

    status = 413
    error_type = "PayloadTooLarge"


@dataclass
class ModelError(InvocationError):
    """A container answered 4xx/5xx (or crashed): SageMaker's 424 ModelError shape."""

    message: str
    original_status: int
    original_message: str
    log_stream: str
    latencies: dict[str, int] = field(default_factory=dict)
    """What each container took before the chain stopped, µs (for the metrics)."""
    status = 424
    error_type = "ModelError"

    def __post_init__(self) -> None:
        super().__init__(self.message)

    @property
    def payload(self) -> dict[str, object]:
        return {
            "ErrorCode": "ModelError",
            "Message": self.message,
            "OriginalStatusCode": self.original_status,
            "OriginalMessage": self.original_message,
            "LogStreamArn": self.log_stream,
            # inferline's uniform error keys, beside SageMaker's.
            "error": "ModelError",
            "message": self.message,
        }


class DefinitionError(ConfigurationError):
    """A pipeline or endpoint file breaks one of SageMaker's rules; the key is named."""


class ModelDataError(ModelLoadError):
    """A ModelDataUrl cannot be found or fetched; the message names it."""


class TransformError(InferlineError, ValueError):
    """A batch transform file cannot be processed; the file fails, the job goes on."""


class SplitError(TransformError):
    """The file cannot be split into records; the message says where."""


class RecordTooLarge(TransformError):
    """One record is larger than MaxPayloadInMB on its own."""


class RecordError(TransformError):
    """A record cannot be filtered or joined; the message says which path and why."""


class StartupError(InferlineError):
    """Containers did not become healthy; the message lists them with their log tails."""


class StateError(InferlineError):
    """No running harness matches; the message says which were looked for."""


class BuildError(InferlineError):
    """An image, its wheelhouse or the local base cannot be built; the message says why."""


class EngineError(InferlineError):
    """The docker engine is missing or unreachable, or a docker command failed."""
