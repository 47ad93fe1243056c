"""One serving container's request handling, free of HTTP: a body and headers in, a reply out.

The Flask app (`containers/app.py`) and the in-process pipeline runner
(`containers/pipeline/inprocess.py`) both answer through `ContainerHandler`, so a
stage's reply is the same bytes, status and Content-Type whether it crossed HTTP or not::

    handler = ContainerHandler(stage, settings)
    reply = handler.invoke(body, {"Content-Type": "text/csv", "Accept": "application/json"})
    reply.status, reply.content_type, reply.body

Errors never escape: a `ServingError` becomes its status with the JSON
``{"error", "message"}`` body; anything else is a 500 whose message is generic (the
traceback goes to the log, never to the client).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from typing import Protocol

from inferline.containers.core.errors import PayloadTooLarge, ServingError
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation, Stage
from inferline.containers.core.media import MediaType, is_unspecified, parse_accept
from inferline.containers.core.protocol import CUSTOM_ATTRIBUTES, MAX_PAYLOAD_MB
from inferline.containers.core.settings import Settings

log = logging.getLogger("inferline.server")

JSON_ERROR = "application/json"


class Headers(Protocol):
    """What a handler reads of request headers: a case-insensitive lookup (werkzeug's
    Headers, urllib3's HTTPHeaderDict) or a plain dict with canonical names."""

    def get(self, key: str, /) -> str | None: ...


@dataclass(frozen=True)
class Reply:
    """What a container answers: status, bare Content-Type, extra headers and body."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class ContainerHandler:
    """A loaded stage behind SageMaker's container contract, without the web server."""

    def __init__(self, stage: Stage, settings: Settings) -> None:
        self.stage = stage
        self.settings = settings
        default = settings.default_accept
        self._default_accept = (MediaType.parse(default),) if default else ()

    def invoke(self, body: bytes, headers: Headers) -> Reply:
        """Answer one POST /invocations."""
        try:
            if len(body) > self.settings.request_limit:
                raise PayloadTooLarge(too_large_message(self.settings.request_limit))
            answer = self.stage.invoke(self.invocation(body, headers))
        except ServingError as error:
            if type(error) is ServingError:
                log.error("stage failed: %s", error.message)
            return error_reply(error)
        except Exception as error:  # noqa: BLE001 - a stage's bug must not take the server down
            log.exception("unexpected error in POST /invocations")
            return error_reply(
                ServingError(
                    f"the stage failed on this request ({type(error).__name__}); "
                    "the container log has the details"
                )
            )
        return reply_for(answer)

    def invocation(self, body: bytes, headers: Headers) -> Invocation:
        """The `Invocation` a stage sees: SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT fills in
        an Accept that is missing or */*, as SageMaker's containers do."""
        accept = parse_accept(headers.get("Accept"))
        if is_unspecified(accept) and self._default_accept:
            accept = self._default_accept
        return Invocation(
            body=body,
            content_type=MediaType.parse(headers.get("Content-Type") or ""),
            accept=accept,
            custom_attributes=headers.get(CUSTOM_ATTRIBUTES),
            batch=self.settings.batch,
        )

    def execution_parameters(self) -> ExecutionParameters:
        """What GET /execution-parameters answers."""
        defaults: ExecutionParameters = {
            "MaxConcurrentTransforms": self.settings.workers,
            "BatchStrategy": "MULTI_RECORD",
            "MaxPayloadInMB": self.settings.max_payload_in_mb or MAX_PAYLOAD_MB,
        }
        return self.stage.execution_parameters(defaults)


def reply_for(answer: Answer) -> Reply:
    return Reply(answer.status, answer.content_type, answer.body, dict(answer.headers))


def error_reply(error: ServingError) -> Reply:
    return Reply(int(error.status), JSON_ERROR, json.dumps(error.to_json()).encode())


def too_large_message(limit: int, size: int | None = None) -> str:
    """The one 413 message: a container's, the chain's and the front door's."""
    body = "request body" if size is None else f"request body of {size} bytes"
    return f"{body} is over the limit of {limit} bytes; split it into smaller requests"
