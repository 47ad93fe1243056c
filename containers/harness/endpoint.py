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

from flask import Flask, Response, request

from inferline.containers.core import protocol
from inferline.containers.core.definition import EndpointSpec
from inferline.containers.core.errors import InvocationError, ModelError, ValidationError
from inferline.containers.harness.deployment import Deployment, Options
from inferline.containers.harness.hops import HttpChain
from inferline.containers.harness.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from inferline.containers.harness.metrics import Metrics
from inferline.containers.harness.runtime import Runtime
from inferline.containers.pipeline.chain import Request, Result

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

    return app


def _invoke(endpoint: Endpoint) -> Response:
    headers = _sagemaker_headers()
    call = Request(
        body=request.get_data(cache=False),
        content_type=request.headers.get("Content-Type"),
        accept=request.headers.get("Accept"),
        custom_attributes=headers.get("custom_attributes"),
        target_container=headers.get("target_container"),
        inference_id=headers.get("inference_id"),
    )
    variant, result = endpoint.invoke(call, headers.get("target_variant"))
    response = Response(result.body, status=200)
    response.headers["Content-Type"] = result.content_type or "application/octet-stream"
    response.headers[protocol.INVOKED_VARIANT] = variant
    if result.custom_attributes is not None:
        response.headers[protocol.CUSTOM_ATTRIBUTES] = result.custom_attributes
    response.headers[protocol.CONTAINER_LATENCIES] = ",".join(
        f"{host}={us}" for host, us in result.latencies.items()
    )
    return response


def _sagemaker_headers() -> dict[str, str]:
    """The InvokeEndpoint headers, checked against the service model's limits."""
    values = {}
    for header, name in HEADERS.items():
        limit = protocol.REQUEST_HEADER_LIMITS[header]
        value = request.headers.get(header)
        if value is None:
            continue
        if not 1 <= len(value) <= limit or not value.isascii():
            raise ValidationError(
                f"header {header} must be 1 to {limit} ASCII characters, got {len(value)}"
            )
        values[name] = value
    return values


def _error(status: int, error_type: str, payload: dict[str, object]) -> Response:
    response = Response(json.dumps(payload), status=status)
    response.headers["Content-Type"] = "application/json"
    response.headers[protocol.ERROR_TYPE] = error_type
    return response
