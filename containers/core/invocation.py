"""The stage contract, free of HTTP: what a stage receives and returns per invocation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, TypedDict

from inferline.containers.core.media import MediaType


@dataclass(frozen=True)
class Invocation:
    """One request to /invocations, as a stage sees it.

    `accept` holds the client's preferences, best first, with the container's
    SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT already put in when the client stated none;
    it is empty when neither says anything, and the stage's own default applies.
    """

    body: bytes
    content_type: MediaType
    accept: tuple[MediaType, ...] = ()
    custom_attributes: str | None = None
    batch: bool = False


@dataclass(frozen=True)
class Answer:
    """A stage's response: the body and its bare MIME type (never with a charset)."""

    body: bytes
    content_type: str
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


class ExecutionParameters(TypedDict):
    MaxConcurrentTransforms: int
    BatchStrategy: str
    MaxPayloadInMB: int


class Stage(Protocol):
    """One step of an inference pipeline, as its serving container runs it.

    Stage kinds live in `inferline.stages`; the app only needs this much of them.
    """

    def invoke(self, invocation: Invocation) -> Answer:
        """Answer one POST /invocations; raise a `ServingError` for a client's mistake."""
        ...

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        """What GET /execution-parameters answers, given the server's defaults."""
        ...
