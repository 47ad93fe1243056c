"""A client of an endpoint's HTTP API: InvokeEndpoint as SageMaker Runtime's REST contract has it.

The one HTTP client of the harness's front door, used by `inferline invoke` and
`LocalEndpoint.client()`; any server speaking the same contract works (a real
endpoint needs SigV4, which is boto3's job)::

    with EndpointClient("http://127.0.0.1:8080", "abalone") as client:
        answer = client.invoke(b"M,0.455,0.365", content_type="text/csv", accept="text/csv")
        answer.body, answer.variant, answer.latencies   # {"container-1": µs, ...}

Error answers raise the core's errors, as the endpoint raised them: `ModelError`
(424, with the container's status and message), `InvocationTooLarge` (413),
`ValidationError` (400), else an `InvocationError` carrying the status and error type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any
from urllib.parse import quote

import urllib3

from inferline.containers.core import protocol
from inferline.containers.core.errors import (
    InvocationError,
    InvocationTooLarge,
    ModelError,
    StateError,
    ValidationError,
)

CONNECT_SECONDS = 5.0
READ_SECONDS = 120.0  # above the harness's default 60 s per invocation, so its 424 arrives


@dataclass(frozen=True)
class Answer:
    """An endpoint's answer: the last container's body and content type, and timings (µs)."""

    body: bytes
    content_type: str | None
    variant: str
    latencies: dict[str, int] = field(default_factory=dict)
    custom_attributes: str | None = None


class EndpointClient:
    """Invokes one endpoint over HTTP, on a keep-alive pool (urllib3, as the harness's hops)."""

    def __init__(self, url: str, endpoint: str, *, timeout: float = READ_SECONDS) -> None:
        self.url = url.rstrip("/")
        self.endpoint = endpoint
        self._pool = urllib3.PoolManager(
            retries=False, timeout=urllib3.Timeout(connect=CONNECT_SECONDS, read=timeout)
        )

    @property
    def invocations_url(self) -> str:
        return f"{self.url}/endpoints/{quote(self.endpoint, safe='')}/invocations"

    def invoke(
        self,
        body: bytes | str,
        content_type: str | None = None,
        accept: str | None = None,
        *,
        custom_attributes: str | None = None,
        target_variant: str | None = None,
        target_container: str | None = None,
        inference_id: str | None = None,
    ) -> Answer:
        """POST the body to InvokeEndpoint and read the answer.

        Raises:
            InvocationError: the endpoint answered an error (ModelError, ValidationError,
                InvocationTooLarge, or another status).
            StateError: nothing answers at the URL.
        """
        headers = {
            name: value
            for name, value in (
                ("Content-Type", content_type),
                ("Accept", accept),
                (protocol.CUSTOM_ATTRIBUTES, custom_attributes),
                (protocol.TARGET_VARIANT, target_variant),
                (protocol.TARGET_CONTAINER, target_container),
                (protocol.INFERENCE_ID, inference_id),
            )
            if value is not None
        }
        data = body.encode() if isinstance(body, str) else body
        try:
            response = self._pool.request("POST", self.invocations_url, body=data, headers=headers)
        except urllib3.exceptions.HTTPError as error:
            raise StateError(f"no endpoint answers at {self.url}: {error}") from None
        if response.status != 200:
            raise error_from(response.status, response.headers, response.data)
        return Answer(
            body=response.data,
            content_type=response.headers.get("Content-Type"),
            variant=response.headers.get(protocol.INVOKED_VARIANT, ""),
            latencies=parse_latencies(response.headers.get(protocol.CONTAINER_LATENCIES, "")),
            custom_attributes=response.headers.get(protocol.CUSTOM_ATTRIBUTES),
        )

    def close(self) -> None:
        self._pool.clear()

    def __enter__(self) -> EndpointClient:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def parse_latencies(header: str) -> dict[str, int]:
    """``container-1=812,container-2=1034`` -> {"container-1": 812, "container-2": 1034}."""
    latencies = {}
    for item in header.split(","):
        host, _, micros = item.strip().partition("=")
        if host and micros.isdigit():
            latencies[host] = int(micros)
    return latencies


def error_from(status: int, headers: Any, data: bytes) -> InvocationError:
    """The core error an endpoint's error answer stands for (botocore reads the same fields)."""
    error_type = headers.get(protocol.ERROR_TYPE) or ""
    document = _json_object(data)
    message = str(
        document.get("message")
        or document.get("Message")
        or data.decode(errors="replace")
        or _phrase(status)
    )
    if status == ModelError.status or error_type == ModelError.error_type:
        original = document.get("OriginalStatusCode")
        return ModelError(
            message,
            original_status=original if isinstance(original, int) else 0,
            original_message=str(document.get("OriginalMessage", "")),
            log_stream=str(document.get("LogStreamArn", "")),
        )
    if status == InvocationTooLarge.status:
        return InvocationTooLarge(message)
    if status == ValidationError.status and error_type in ("", ValidationError.error_type):
        return ValidationError(message)
    error = InvocationError(message)
    error.status = status
    error.error_type = error_type or str(document.get("error") or _phrase(status))
    return error


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP {status}"
