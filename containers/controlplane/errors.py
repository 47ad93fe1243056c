"""The control plane's API errors: AWS's error codes, answered in SageMaker's JSON shape.

Each is a branch of inferline's one error tree (`InferlineError`), carrying the
``__type`` botocore turns into ``ClientError.response["Error"]["Code"]``::

    InferlineError
    └── ApiError                      400  an AWS error code and message
        ├── ValidationException            unknown names, duplicates, bad values
        ├── ResourceLimitExceeded          more instances than this machine runs
        ├── ResourceNotFound               no such transform job
        ├── ResourceInUse                  a transform job name already taken
        ├── SerializationException         the body is not a JSON object
        ├── UnknownOperationException      an operation this control plane does not serve
        └── InternalFailure           500  a fault of ours (the server keeps serving)
"""

from __future__ import annotations

from typing import ClassVar

from inferline.containers.core.errors import InferlineError


class ApiError(InferlineError):
    """An error answered as ``{"__type": code, "message": ...}`` with x-amzn-ErrorType."""

    code: ClassVar[str] = "ValidationException"
    status: ClassVar[int] = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_json(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


class ValidationException(ApiError):
    code = "ValidationException"


class ResourceLimitExceeded(ApiError):
    code = "ResourceLimitExceeded"


class ResourceNotFound(ApiError):
    code = "ResourceNotFound"


class ResourceInUse(ApiError):
    code = "ResourceInUse"


class SerializationException(ApiError):
    code = "SerializationException"


class UnknownOperationException(ApiError):
    code = "UnknownOperationException"


class InternalFailure(ApiError):
    code = "InternalFailure"
    status = 500
