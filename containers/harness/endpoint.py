"""The harness's HTTP face: SageMaker Runtime's InvokeEndpoint, /ping and /metrics.

`Endpoint` is one named endpoint: its live `Deployment`, swapped without downtime by
`update` (start the new one, wait healthy, switch, drain, stop the old). `create_app`
serves the endpoints over SageMaker Runtime's REST contract, so boto3's
``sagemaker-runtime`` client and the SageMaker Python SDK work with ``endpoint_url``
pointed here::

    POST /endpoints/<name>/invocations   InvokeEndpoint
    POST /invocations                    the same, when the harness has one endpoint
    GET  /ping                           200 while every endpoint is up
    GET  /metrics                        Prometheus text (see metrics.py)
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from flask import Flask, Response, request
from werkzeug.datastructures import EnvironHeaders
from werkzeug.http import HTTP_STATUS_CODES

from inferline.containers.core import protocol
from inferline.containers.core.container import Headers
from inferline.containers.core.definition import EndpointSpec
from inferline.containers.core.errors import InvocationError, ModelError, ValidationError
from inferline.containers.harness.deployment import Deployment, Options
from inferline.containers.harness.hops import HttpChain
from inferline.containers.harness.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from inferline.containers.harness.metrics import Metrics
from inferline.containers.harness.runtime import Runtime
from inferline.containers.pipeline.chain import Request, Result

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

DRAIN_SECONDS = 60.0
# InvokeEndpoint's request headers -> the Request field each fills.
HEADERS = {
    protocol.CUSTOM_ATTRIBUTES: "custom_attributes",
    protocol.TARGET_VARIANT: "target_variant",
    protocol.TARGET_CONTAINER: "target_container",
    protocol.INFERENCE_ID: "inference_id",
}


class Endpoint:
    """A named endpoint and its live deployment."""

    def __init__(
        self,
        deployment: Deployment,
        runtime: Runtime,
        options: Options,
        taken: set[int],
        metrics: Metrics,
    ) -> None:
        self.deployment = deployment
        self.runtime = runtime
        self.options = options
        self.metrics = metrics
        self._taken = taken
        self._update_lock = threading.Lock()

    @classmethod
    def start(
        cls, spec: EndpointSpec, runtime: Runtime, options: Options, metrics: Metrics
    ) -> Endpoint:
        taken: set[int] = set()
        return cls(
            Deployment.start(spec, runtime, options, taken), runtime, options, taken, metrics
        )

    @property
    def name(self) -> str:
        return self.deployment.spec.name

    def invoke(self, request: Request, target_variant: str | None = None) -> tuple[str, Result]:
        """Route to a variant and run its chain, counting it in the metrics.

        Raises:
            InvocationError: a ValidationError, InvocationTooLarge or ModelError to answer.
        """
        started = time.perf_counter_ns()
        while True:
            deployment = self.deployment  # an update swaps it before draining the old one
            with deployment.serving() as accepted:
                if accepted:
                    variant, chain = deployment.choose(target_variant)
                    return variant, self._run(chain, variant, request, started)

    def _run(self, chain: HttpChain, variant: str, request: Request, started: int) -> Result:
        try:
            result = chain.invoke(request)
        except ModelError as error:
            total = (time.perf_counter_ns() - started) // 1000
            # A container's 4xx/5xx; the payload-limit error between two 200s counts as 4xx.
            status = max(error.original_status, 400)
            self.metrics.record(self.name, variant, error.latencies, total, error_status=status)
            raise
        total = (time.perf_counter_ns() - started) // 1000
        self.metrics.record(self.name, variant, result.latencies, total)
        return result

    def update(self, spec: EndpointSpec) -> None:
        """Replace the deployment without downtime; the old one serves until the new is healthy.

        Raises:
            StartupError, ConfigurationError: the new deployment failed; the old one keeps serving.
        """
        with self._update_lock:
            new = Deployment.start(spec, self.runtime, self.options, self._taken)
            old, self.deployment = self.deployment, new
            old.drain(DRAIN_SECONDS)
            old.stop()
            self._taken.difference_update(old.held_ports)

    def stop(self) -> None:
        with self._update_lock:
            self.deployment.stop()


def create_app(endpoints: dict[str, Endpoint], metrics: Metrics) -> Flask:
    """The WSGI app serving `endpoints` (name -> Endpoint) with SageMaker Runtime's API."""
    app = Flask("inferline.harness")

    @app.get("/ping")
    def ping() -> Response:
        """200 while every container of every endpoint serves; 503 while one is down or
        restarting."""
        down = [
            f"{name}/{container.hostname}"
            for name, endpoint in endpoints.items()
            for container in endpoint.deployment.down()
        ]
        if down:
            message = f"containers not running (restarting): {', '.join(down)}"
            return _error(
                503, "ServiceUnavailable", {"error": "ServiceUnavailable", "message": message}
            )
        return Response(status=200)

    @app.get("/metrics")
    def metrics_view() -> Response:
        return Response(metrics.exposition(), headers={"Content-Type": METRICS_CONTENT_TYPE})

    @app.post("/endpoints/<name>/invocations")
    def invoke_endpoint(name: str) -> Response:
        if name not in endpoints:
            raise ValidationError(
                f"Endpoint {name} not found; this harness serves {', '.join(endpoints)}"
            )
        return _invoke(endpoints[name])

    @app.post("/invocations")
    def invoke_only() -> Response:
        if len(endpoints) != 1:
            raise ValidationError(
                f"/invocations needs exactly one endpoint; use /endpoints/<name>/invocations "
                f"with one of {', '.join(endpoints)}"
            )
        return _invoke(next(iter(endpoints.values())))

    @app.errorhandler(InvocationError)
    def invocation_error(error: InvocationError) -> Response:
        return _error(error.status, error.error_type, error.payload)

    @app.errorhandler(404)
    def not_found(error: Exception) -> Response:
        message = (
            f"no route {request.method} {request.path}; the harness serves POST "
            "/endpoints/<name>/invocations, POST /invocations, GET /ping and GET /metrics"
        )
        return _error(404, "UnknownOperationException", {"error": "NotFound", "message": message})

    @app.errorhandler(405)
    def not_allowed(error: Exception) -> Response:
        message = f"{request.method} is not allowed on {request.path}"
        return _error(
            405, "UnknownOperationException", {"error": "MethodNotAllowed", "message": message}
        )

    app.wsgi_app = Invocations(app.wsgi_app, endpoints)  # type: ignore[method-assign]  # Flask documents wrapping wsgi_app
    return app


def _invoke(endpoint: Endpoint) -> Response:
    body = request.get_data(cache=False)
    status, headers, answer = invocation_answer(endpoint, body, request.headers)
    return Response(answer, status=status, headers=headers)


def invocation_answer(
    endpoint: Endpoint, body: bytes, headers: Headers
) -> tuple[int, list[tuple[str, str]], bytes]:
    """InvokeEndpoint's answer as status, headers and body: the result, or its error's JSON."""
    try:
        values = _sagemaker_headers(headers)
        call = Request(
            body=body,
            content_type=headers.get("Content-Type"),
            accept=headers.get("Accept"),
            custom_attributes=values.get("custom_attributes"),
            target_container=values.get("target_container"),
            inference_id=values.get("inference_id"),
        )
        variant, result = endpoint.invoke(call, values.get("target_variant"))
    except InvocationError as error:
        return _error_answer(error.status, error.error_type, error.payload)
    answer = [
        ("Content-Type", result.content_type or "application/octet-stream"),
        (protocol.INVOKED_VARIANT, variant),
    ]
    if result.custom_attributes is not None:
        answer.append((protocol.CUSTOM_ATTRIBUTES, result.custom_attributes))
    latencies = ",".join(f"{host}={us}" for host, us in result.latencies.items())
    answer.append((protocol.CONTAINER_LATENCIES, latencies))
    return 200, answer, result.body


def _sagemaker_headers(headers: Headers) -> dict[str, str]:
    """The InvokeEndpoint headers, checked against the service model's limits."""
    values = {}
    for header, name in HEADERS.items():
        limit = protocol.REQUEST_HEADER_LIMITS[header]
        value = headers.get(header)
        if value is None:
            continue
        if not 1 <= len(value) <= limit or not value.isascii():
            raise ValidationError(
                f"header {header} must be 1 to {limit} ASCII characters, got {len(value)}"
            )
        values[name] = value
    return values


class Invocations:
    """WSGI middleware answering InvokeEndpoint without Flask's request context and views.

    The one call that is hot: profiled (py-spy, docs/benchmarks.md "Per hop"), Flask's
    request context, routing and Response cost the harness about 0.5 ms a call, a fifth
    of its own time for a three-container pipeline. The answer is the view's
    (`invocation_answer` writes both); anything else, and an invocation without a
    Content-Length, goes to Flask, which answers it (an unknown endpoint's error too).
    """

    def __init__(self, app: WSGIApplication, endpoints: Mapping[str, Endpoint]) -> None:
        self.app = app
        self.endpoints = endpoints

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        endpoint = self._endpoint(environ)
        length = environ.get("CONTENT_LENGTH") or ""
        if endpoint is None or not length.isdigit():
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(length))
        status, headers, answer = invocation_answer(endpoint, body, EnvironHeaders(environ))
        headers.append(("Content-Length", str(len(answer))))
        start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'unknown').upper()}", headers)
        return [answer]

    def _endpoint(self, environ: WSGIEnvironment) -> Endpoint | None:
        """The endpoint a POST invokes, when its path names one this harness serves."""
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        path: str = environ.get("PATH_INFO", "")
        if path == "/invocations":
            return next(iter(self.endpoints.values())) if len(self.endpoints) == 1 else None
        if not (path.startswith("/endpoints/") and path.endswith("/invocations")):
            return None
        name = path[len("/endpoints/") : -len("/invocations")]
        return None if "/" in name else self.endpoints.get(name)


def _error(status: int, error_type: str, payload: dict[str, object]) -> Response:
    status, headers, body = _error_answer(status, error_type, payload)
    return Response(body, status=status, headers=headers)


def _error_answer(
    status: int, error_type: str, payload: dict[str, object]
) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [("Content-Type", "application/json"), (protocol.ERROR_TYPE, error_type)]
    return status, headers, json.dumps(payload).encode()
