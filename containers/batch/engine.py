"""The pipeline a batch job invokes: containers over HTTP, or its stages in this process.

``--runtime process`` (the default, like SageMaker's real containers) and ``docker``
start the pipeline's containers with the harness (`LocalEndpoint`) and send each
batch through its HTTP chain; ``inprocess`` loads every stage here
(`InProcessPipeline`) and chains them through the same codecs without HTTP. Both
answer the same `Engine` protocol::

    with closing(start_engine(model, "process", workdir, timeout=600)) as engine:
        parameters = engine.execution_parameters()     # container 1's, {} if it has none
        result = engine.invoke(Request(body, "text/csv", accept="text/csv"))

Which container's /execution-parameters counts: SageMaker does not document it for
pipelines. We ask the first container, because it is the one the batch agent talks
to: it receives every request, so the payload and concurrency it can take are the
job's limits (the others see what it forwards).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Protocol

from inferline.containers.core.definition import EndpointSpec, ModelSpec, VariantSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.pipeline import Request, Result

log = logging.getLogger("inferline.batch")

RUNTIMES = ("process", "docker", "inprocess")
PARAMETERS_TIMEOUT_SECONDS = 10.0
VARIANT = "AllTraffic"


class Engine(Protocol):
    """What the runner needs of a running pipeline."""

    def invoke(self, request: Request) -> Result: ...

    def execution_parameters(self) -> dict[str, Any]:
        """The first container's GET /execution-parameters, {} when it answers none."""
        ...

    def allow_payload(self, limit: int) -> None:
        """Let requests (and hops between containers) up to `limit` bytes through."""
        ...

    def close(self) -> None: ...


class HttpEngine:
    """The pipeline's containers started by the harness, invoked over HTTP."""

    def __init__(self, model: ModelSpec, runtime: str, workdir: Path, timeout: float) -> None:
        from inferline.containers.harness import LocalEndpoint

        spec = EndpointSpec(model.name, (VariantSpec(VARIANT, model),))
        self.local = LocalEndpoint(spec, runtime=runtime, workdir=workdir, timeout=timeout)
        self.local.start()
        self.timeout = timeout

    def invoke(self, request: Request) -> Result:
        # A crashed container is restarting: send (a retry) once it serves again.
        self.local.endpoint.deployment.wait_serving(self.timeout)
        answer: tuple[str, Result] = self.local.endpoint.invoke(request, VARIANT)
        return answer[1]

    def execution_parameters(self) -> dict[str, Any]:
        import urllib3

        url = self.local.endpoint.deployment.containers[0].url + "/execution-parameters"
        try:
            response = urllib3.request(
                "GET", url, timeout=PARAMETERS_TIMEOUT_SECONDS, retries=False
            )
        except urllib3.exceptions.HTTPError as error:
            log.warning("GET %s failed (%s); using the defaults", url, error)
            return {}
        if response.status != 200:
            return {}  # e.g. 404: an inference script without execution_parameters_fn
        try:
            document = json.loads(response.data)
        except ValueError:
            log.warning("GET %s answered no JSON; using the defaults", url)
            return {}
        return document if isinstance(document, dict) else {}

    def allow_payload(self, limit: int) -> None:
        for chain in self.local.endpoint.deployment.chains.values():
            chain.max_payload = max(chain.max_payload, limit)

    def close(self) -> None:
        self.local.close()


class InProcessEngine:
    """The pipeline's stages loaded in this process (the fused runtime)."""

    def __init__(self, model: ModelSpec, workdir: Path, timeout: float) -> None:
        from inferline.containers.pipeline.inprocess import InProcessPipeline

        self.pipeline = InProcessPipeline.load(model, workdir, timeout=timeout)

    def invoke(self, request: Request) -> Result:
        return self.pipeline.invoke(request)

    def execution_parameters(self) -> dict[str, Any]:
        return dict(self.pipeline.execution_parameters())

    def allow_payload(self, limit: int) -> None:
        chain = self.pipeline.chain
        chain.max_payload = max(chain.max_payload, limit)

    def close(self) -> None:
        self.pipeline.close()


def start_engine(model: ModelSpec, runtime: str, workdir: Path, *, timeout: float) -> Engine:
    """Start `model` in `runtime` (process, docker or inprocess).

    Raises:
        ConfigurationError: an unknown runtime, or a model it cannot run.
        StartupError, ModelLoadError: the containers or stages did not come up.
    """
    if runtime == "inprocess":
        return InProcessEngine(model, workdir, timeout)
    if runtime in ("process", "docker"):
        return HttpEngine(model, runtime, workdir, timeout)
    raise ConfigurationError(f"unknown runtime {runtime!r}; choose one of {', '.join(RUNTIMES)}")
