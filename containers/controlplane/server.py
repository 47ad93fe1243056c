"""`serve_control_plane`: a local SageMaker on one port, for boto3 and the SageMaker SDK.

One HTTP/1.1 keep-alive server (the harness's front door) in this process answers::

    POST /  (X-Amz-Target: SageMaker.<Operation>)   the control plane (api.py)
    GET  /                                           the HTML page (page.py)
    GET  /ping                                       200 while every container runs
    anything else                                    SageMaker Runtime, by the harness's
                                                     app: /endpoints/<name>/invocations,
                                                     /invocations, /metrics

The runtime app serves the live dict of `Fleet`s the endpoints keep, so an endpoint
answers invocations from the moment it is InService. Everything created is kept in
``<home>/controlplane/state.json``; the next start restores it (endpoints start again).

    plane = serve_control_plane(8080, Path(".inferline"))
    boto3.client("sagemaker", endpoint_url=plane.url, region_name="us-east-1")
    plane.close()
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, cast

from werkzeug.wrappers import Request, Response

from inferline.containers.controlplane import page, runtimes
from inferline.containers.controlplane.api import TARGET_HEADER, ControlPlaneApp
from inferline.containers.controlplane.endpoints import DEFAULT_MAX_INSTANCES, Endpoints
from inferline.containers.controlplane.fleet import Fleet
from inferline.containers.controlplane.operations import Operations
from inferline.containers.controlplane.store import Store
from inferline.containers.controlplane.transforms import TransformJobs
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.harness import frontdoor
from inferline.containers.harness.endpoint import Endpoint, create_app
from inferline.containers.harness.metrics import Metrics

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

FOLDER = "controlplane"
MAX_INSTANCES_VARIABLE = "INFERLINE_MAX_INSTANCES"


class ControlPlane:
    """The control plane's state, endpoints and server."""

    def __init__(
        self,
        home: Path,
        runtime: str = "process",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        max_instances: int | None = None,
    ) -> None:
        self.directory = (home / FOLDER).resolve()
        self.store = Store.open(self.directory)
        self.metrics = Metrics()
        self.live: dict[str, Fleet] = {}
        self.endpoints = Endpoints(
            self.store,
            runtimes.for_name(runtime),
            self.directory / "endpoints",
            self.metrics,
            self.live,
            max_instances if max_instances is not None else _max_instances(),
        )
        self.transform_jobs = TransformJobs(
            self.store, self.endpoints, self.directory / "transform-jobs", runtime
        )
        self.operations = Operations(
            self.store, self.endpoints, self.endpoints.runtime, self.transform_jobs.handlers()
        )
        self.api = ControlPlaneApp(self.operations)
        # create_app only calls .invoke on its values, which a Fleet provides (it routes
        # over copies); /ping, which reads a single deployment, is answered here instead.
        self.runtime_app = create_app(cast("dict[str, Endpoint]", self.live), self.metrics)
        self._bind = (host, port)
        self._server: frontdoor.FrontDoor | None = None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "/")
        if method == "POST" and path == "/" and environ.get(_wsgi_header(TARGET_HEADER)):
            return self.api(environ, start_response)
        if method == "GET" and path == "/":
            html = page.render(self.store, self.live, self.transform_jobs.progress)
            return Response(html, content_type="text/html; charset=utf-8")(environ, start_response)
        if method == "GET" and path == "/ping":
            return self._ping(Request(environ))(environ, start_response)
        return self.runtime_app(environ, start_response)

    def _ping(self, request: Request) -> Response:
        down = [
            f"{name}/{variant['VariantName']}/{container['hostname']}"
            for name, fleet in list(self.live.items())
            for variant in fleet.describe()
            for container in variant["containers"]
            if not container["alive"]
        ]
        if down:
            return Response(f"containers not running (restarting): {', '.join(down)}", status=503)
        return Response(status=200)

    def start(self) -> ControlPlane:
        """Serve, then start again the endpoints the state file holds (returns at once)."""
        host, port = self._bind
        self._server = frontdoor.start(self, host, port, name="inferline-controlplane")
        self.endpoints.restore()
        self.transform_jobs.restore()
        return self

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the control plane first"
        return self._server.port

    @property
    def url(self) -> str:
        """boto3's endpoint_url for both the ``sagemaker`` and ``sagemaker-runtime`` clients."""
        return f"http://{self._bind[0]}:{self.port}"

    def close(self) -> None:
        """Stop serving and stop every container; the state file stays for the next start."""
        if self._server is not None:
            self._server.stop()
            self._server = None
        self.transform_jobs.close()
        self.endpoints.close()


def serve_control_plane(
    port: int,
    home: Path,
    runtime: str = "process",
    *,
    host: str = "127.0.0.1",
    max_instances: int | None = None,
) -> ControlPlane:
    """Serve an (at first empty) local SageMaker on `host`:`port`; `close()` it when done.

    Args:
        port: the port (0 = any free one; see `.url`).
        home: where the state file and the containers' work directories live.
        runtime: "process" (inferline's images as subprocesses, any other image under
            docker when an engine answers) or "docker" (every container).
        max_instances: copies of containers this machine runs at most, over all
            endpoints (default INFERLINE_MAX_INSTANCES, else 8).
    """
    return ControlPlane(home, runtime, host=host, port=port, max_instances=max_instances).start()


def _max_instances() -> int:
    value = os.environ.get(MAX_INSTANCES_VARIABLE)
    if value is None:
        return DEFAULT_MAX_INSTANCES
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ConfigurationError(
            f"{MAX_INSTANCES_VARIABLE} must be a whole number >= 1, got {value!r}"
        )
    return number


def _wsgi_header(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")
