"""A model's containers invoked hop by hop exactly as SageMaker chains them, over any transport.

The client's Content-Type goes to container 1; container k+1 gets container k's body
with k's response Content-Type verbatim; the client's Accept goes to the last container
only (the others use their SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT). The first 4xx/5xx
stops the chain and becomes a `ModelError` (HTTP 424) that names the container, as
SageMaker's Runtime answers it::

    chain = Chain(model, hops, endpoint="abalone")
    result = chain.invoke(Request(body, "text/csv", accept="application/json"))
    result.body, result.content_type, result.latencies   # {"container-1": µs, ...}

A `Hop` is one container behind some transport: HTTP to a running container (the
harness, `containers/harness/hops.py`) or a stage loaded in this process
(`containers/pipeline/inprocess.py`). Both go through this one chain, so routing,
headers, limits and error messages cannot drift apart.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from inferline.containers.core.container import Headers, too_large_message
from inferline.containers.core.definition import ModelSpec
from inferline.containers.core.errors import InvocationTooLarge, ModelError, ValidationError
from inferline.containers.core.protocol import CUSTOM_ATTRIBUTES, INFERENCE_ID, MAX_PAYLOAD_BYTES

DEFAULT_TIMEOUT_SECONDS = 60.0
MESSAGE_PREVIEW = 1024


@dataclass(frozen=True)
class Request:
    """An invocation as the endpoint received it."""

    body: bytes
    content_type: str | None = None
    accept: str | None = None
    custom_attributes: str | None = None
    target_container: str | None = None
    inference_id: str | None = None


@dataclass(frozen=True)
class Result:
    """The last container's answer and what each hop took, in microseconds."""

    body: bytes
    content_type: str | None
    custom_attributes: str | None = None
    latencies: dict[str, int] = field(default_factory=dict)

    @property
    def model_latency(self) -> int:
        """SageMaker's ModelLatency: the sum over the containers, µs."""
        return sum(self.latencies.values())


@dataclass(frozen=True)
class HopReply:
    """A container's HTTP-level answer: status, headers (Content-Type among them), body."""

    status: int
    headers: Headers
    body: bytes


class HopFailed(Exception):
    """The container could not answer at all (unreachable, crashed); the reason is the text."""


class HopTimedOut(Exception):
    """The container did not answer within the time left."""


class Hop(Protocol):
    """One container of a chain, behind its transport."""

    @property
    def hostname(self) -> str: ...

    @property
    def log_stream(self) -> str:
        """Where the container's log is, for ModelError's LogStreamArn and message."""
        ...

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HopReply:
        """POST /invocations; raise `HopFailed` or `HopTimedOut` when there is no answer."""
        ...

    def close(self) -> None: ...


class Chain:
    """Invoke a model's containers in order (Serial) or one of them (Direct)."""

    def __init__(
        self,
        model: ModelSpec,
        hops: Sequence[Hop],
        *,
        endpoint: str,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_payload: int = MAX_PAYLOAD_BYTES,
    ) -> None:
        self.model = model
        self.hops = list(hops)
        self.endpoint = endpoint
        self.timeout = timeout
        self.max_payload = max_payload

    def invoke(self, request: Request) -> Result:
        """Run the request through the containers; raise `InvocationError` on failure."""
        if len(request.body) > self.max_payload:
            raise InvocationTooLarge(too_large_message(self.max_payload, len(request.body)))
        hops = self._route(request)
        deadline = time.monotonic() + self.timeout
        latencies: dict[str, int] = {}
        try:
            return self._run(hops, request, deadline, latencies)
        except ModelError as error:
            error.latencies = latencies
            raise

    def _run(
        self, hops: list[Hop], request: Request, deadline: float, latencies: dict[str, int]
    ) -> Result:
        body, content_type, attributes = request.body, request.content_type, None
        for index, hop in enumerate(hops):
            last = index == len(hops) - 1
            headers = self._headers(request, content_type, last)
            reply = self._call(hop, body, headers, deadline, latencies)
            body = reply.body
            content_type = reply.headers.get("Content-Type")
            attributes = reply.headers.get(CUSTOM_ATTRIBUTES)
            if not last and len(body) > self.max_payload:
                following = hops[index + 1]
                raise self._model_error(
                    hop,
                    200,
                    f"Received response from {hop.hostname} with status code 200. However, the "
                    f"request payload from {hop.hostname} to {following.hostname} is {len(body)} "
                    "bytes, which has "
                    f"exceeded the maximum limit of {self.max_payload // (1024 * 1024)} MB.",
                    original=f"payload of {len(body)} bytes",
                )
        return Result(body, content_type, attributes, latencies)

    def _route(self, request: Request) -> list[Hop]:
        if not self.model.is_direct:
            if request.target_container is not None:
                raise ValidationError(
                    "TargetContainerHostname is only valid for Direct mode; "
                    f"model {self.model.name} is Serial"
                )
            return self.hops
        if request.target_container is None:
            raise ValidationError(
                f"model {self.model.name} runs in Direct mode: set TargetContainerHostname "
                f"(X-Amzn-SageMaker-Target-Container-Hostname) to one of {self._hostnames()}"
            )
        for hop in self.hops:
            if hop.hostname == request.target_container:
                return [hop]
        raise ValidationError(
            f"TargetContainerHostname {request.target_container!r} is not a container of "
            f"{self.model.name}; choose one of {self._hostnames()}"
        )

    def _hostnames(self) -> str:
        return ", ".join(hop.hostname for hop in self.hops)

    @staticmethod
    def _headers(request: Request, content_type: str | None, last: bool) -> dict[str, str]:
        headers = {}
        if content_type:
            headers["Content-Type"] = content_type
        if last and request.accept:
            headers["Accept"] = request.accept
        if request.custom_attributes is not None:
            headers[CUSTOM_ATTRIBUTES] = request.custom_attributes
        if request.inference_id is not None:
            headers[INFERENCE_ID] = request.inference_id
        return headers

    def _call(
        self,
        hop: Hop,
        body: bytes,
        headers: dict[str, str],
        deadline: float,
        latencies: dict[str, int],
    ) -> HopReply:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise self._timeout_error(hop)
        started = time.perf_counter_ns()
        try:
            reply = hop.post(body, headers, remaining)
        except HopTimedOut:
            raise self._timeout_error(hop) from None
        except HopFailed as failure:
            raise self._model_error(hop, 500, None, original=str(failure)) from None
        finally:
            latencies[hop.hostname] = (time.perf_counter_ns() - started) // 1000
        if reply.status >= 400:
            raise self._model_error(
                hop, reply.status, None, original=reply.body.decode("utf-8", "replace")
            )
        return reply

    def _timeout_error(self, hop: Hop) -> ModelError:
        return self._model_error(
            hop,
            500,
            None,
            original=f"{hop.hostname} did not answer within the {self.timeout:g} s "
            "invocation timeout",
        )

    def _model_error(self, hop: Hop, status: int, message: str | None, original: str) -> ModelError:
        kind = "client" if status < 500 else "server"
        preview = original[:MESSAGE_PREVIEW]
        text = (
            message
            or f'Received {kind} error ({status}) from {hop.hostname} with message "{preview}".'
        )
        text += f" See {hop.log_stream} for more information."
        return ModelError(text, status, original, hop.log_stream)

    def close(self) -> None:
        for hop in self.hops:
            hop.close()
