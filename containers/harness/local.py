"""`LocalEndpoint`: a SageMaker endpoint on this machine, for notebooks, tests and the CLI.

::

    with LocalEndpoint.from_file("pipeline.json") as endpoint:
        answer = endpoint.invoke(b"1.0,2.0", content_type="text/csv", accept="text/csv")
        answer.body, answer.content_type, answer.latencies   # {"container-1": µs, ...}
        endpoint.client().invoke(b"1.0,2.0", content_type="text/csv")   # over HTTP
        boto3.client("sagemaker-runtime", endpoint_url=endpoint.url, ...)   # works too

The HTTP server is the harness's front door (`frontdoor.py`: cheroot, HTTP/1.1
keep-alive, a pool of threads) running in a thread of this process: one process
keeps the router, the metrics and the crash restarts in shared memory (gunicorn
would fork workers that each see only part of them). `invoke` here calls the same
core as the HTTP route, without the HTTP; `client()` goes through the HTTP route.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from inferline.containers.core import definition
from inferline.containers.core.definition import EndpointSpec
from inferline.containers.harness import frontdoor
from inferline.containers.harness.client import Answer, EndpointClient
from inferline.containers.harness.deployment import READY_SECONDS, Options
from inferline.containers.harness.endpoint import Endpoint, create_app
from inferline.containers.harness.metrics import Metrics
from inferline.containers.harness.runtime import runtime_for
from inferline.containers.pipeline.chain import DEFAULT_TIMEOUT_SECONDS, Request

__all__ = ["Answer", "LocalEndpoint"]

# The client waits past the invocation timeout, so the endpoint's own 424 arrives.
CLIENT_MARGIN_SECONDS = 60.0


class LocalEndpoint:
    """Start an endpoint's containers and serve SageMaker Runtime's API on loopback."""

    def __init__(
        self,
        spec: EndpointSpec,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        runtime: str = "process",
        workdir: Path | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        ready_seconds: float = READY_SECONDS,
    ) -> None:
        self.spec = spec
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix=f"inferline-{spec.name}-"))
        self.options = Options(self.workdir, timeout=timeout, ready_seconds=ready_seconds)
        self.runtime = runtime_for(runtime)
        self.metrics = Metrics()
        self._bind = (host, port)
        self._endpoint: Endpoint | None = None
        self._server: frontdoor.FrontDoor | None = None

    @classmethod
    def from_file(
        cls, path: Path | str, name: str | None = None, **options: object
    ) -> LocalEndpoint:
        """An endpoint from a CreateModel or endpoint file (JSON or YAML).

        Options are `__init__`'s: port, host, runtime, workdir, timeout, ready_seconds.
        """
        return cls(definition.load(path, name), **options)  # type: ignore[arg-type]

    def start(self) -> LocalEndpoint:
        """Start the containers, wait until healthy, then serve (returns once serving)."""
        self._endpoint = Endpoint.start(self.spec, self.runtime, self.options, self.metrics)
        host, port = self._bind
        try:
            app = create_app({self.name: self._endpoint}, self.metrics)
            self._server = frontdoor.start(app, host, port, name="inferline-harness")
        except BaseException:
            self._endpoint.stop()
            raise
        return self

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the endpoint first"
        return self._server.port

    @property
    def url(self) -> str:
        """Base URL for clients: boto3's endpoint_url, or + /endpoints/<name>/invocations."""
        return f"http://{self._bind[0]}:{self.port}"

    @property
    def endpoint(self) -> Endpoint:
        assert self._endpoint is not None, "start() the endpoint first"
        return self._endpoint

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
        """Invoke the endpoint as InvokeEndpoint would.

        Raises:
            InvocationError: ModelError (a container failed), ValidationError, InvocationTooLarge.
        """
        data = body.encode() if isinstance(body, str) else body
        request = Request(
            data, content_type, accept, custom_attributes, target_container, inference_id
        )
        variant, result = self.endpoint.invoke(request, target_variant)
        return Answer(
            result.body, result.content_type, variant, result.latencies, result.custom_attributes
        )

    def client(self) -> EndpointClient:
        """An HTTP client of this endpoint's InvokeEndpoint route (close it when done)."""
        return EndpointClient(
            self.url, self.name, timeout=self.options.timeout + CLIENT_MARGIN_SECONDS
        )

    def update(self, spec: EndpointSpec | Path | str) -> None:
        """Switch to a new definition without downtime (the name stays this endpoint's)."""
        if not isinstance(spec, EndpointSpec):
            spec = definition.load(spec, self.name)
        self.endpoint.update(spec)
        self.spec = spec

    def log_path(self, hostname: str) -> Path:
        """The log file of a container of the live deployment."""
        for container in self.endpoint.deployment.containers:
            if container.hostname == hostname:
                return container.log_path
        raise KeyError(f"no container {hostname!r} in endpoint {self.name}")

    def close(self) -> None:
        """Stop serving, then stop the containers (and remove a temporary work directory)."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._endpoint is not None:
            self._endpoint.stop()
            self._endpoint = None
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LocalEndpoint:
        return self.start() if self._endpoint is None else self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
