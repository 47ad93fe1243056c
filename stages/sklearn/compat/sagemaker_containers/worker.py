"""``sagemaker_containers.beta.framework.worker``: the Flask Response and Request scripts use.

``worker.Response`` is a Flask Response whose mimetype defaults to JSON and whose second
positional argument is the deprecated, ignored ``accept`` (scripts write
``worker.Response(body, accept, mimetype=accept)``). inferline's script stage reads
the body, status and mimetype back from it.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import flask

from inferline.stages.sklearn.compat.sagemaker_containers import content_types, env

__all__ = ["Request", "Response"]


class Response(flask.Response):
    default_mimetype = content_types.JSON

    def __init__(
        self,
        response: Any = None,
        accept: str | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        mimetype: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        if accept:
            warnings.warn(
                'ignoring deprecated "accept" argument to Response.__init__',
                DeprecationWarning,
                stacklevel=2,
            )
        super().__init__(response, status, headers, mimetype, None, direct_passthrough)


class Request(flask.Request):
    """The request with SageMaker's header rules: ContentType or Content-Type (JSON when
    neither), and Accept with */* or none replaced by the default accept."""

    default_mimetype = content_types.JSON

    def __init__(self, environ: dict[str, Any] | None = None, serving_env: Any = None) -> None:
        super().__init__(environ or flask.request.environ)
        self._default_accept = (serving_env or env.ServingEnv()).default_accept

    @property
    def content_type(self) -> str:  # type: ignore[override]  # a str, never None, as AWS's
        return (
            self.headers.get("ContentType")
            or self.headers.get("Content-Type")
            or content_types.JSON
        )

    @property
    def accept(self) -> str:
        accept = self.headers.get("Accept")
        if not accept or accept == content_types.ANY:
            return str(self._default_accept)
        return accept

    @property
    def content(self) -> str | bytes:
        if self.content_type in content_types.UTF8_TYPES:
            return self.get_data(as_text=True)
        return self.get_data()
