"""The errors an invocation of the harness answers, in SageMaker Runtime's shapes.

Each carries its HTTP status and the `x-amzn-ErrorType` botocore reads to raise its
own exception classes (`client.exceptions.ModelError`, ...)::

    InvocationError          the base: status, error_type, JSON payload
    ├── ValidationError      400  unknown endpoint/variant/container, bad header
    ├── PayloadTooLarge      413  request over 6 MB, refused before any container
    └── ModelError           424  a container answered 4xx/5xx, crashed or timed out
"""

from __future__ import annotations

from dataclasses import dataclass, field


class InvocationError(Exception):
    """An invocation failed; `status`, `error_type` and `payload` are the HTTP answer."""

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


class PayloadTooLarge(InvocationError):
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
