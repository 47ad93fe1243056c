"""A pipeline's stages loaded in this process and chained exactly as the HTTP chain does.

Each container of a CreateModel definition is loaded as `inferline serve` would load
it in its own container: its image's default stage, its Environment as the only
environment (SageMaker starts containers with nothing else), its ModelDataUrl fetched
and extracted. Hops then go through the same `Chain` and the same `ContainerHandler`
as over HTTP, so bodies, Content-Types, errors and their messages are the same bytes::

    spec = definition.load("pipeline.json").variants[0].model
    with InProcessPipeline.load(spec, environment={"SAGEMAKER_BATCH": "true"}) as pipeline:
        result = pipeline.invoke(Request(body, "text/csv", accept="text/csv"))
        result.body, result.latencies          # {"container-1": µs, ...}

What differs from containers, by nature: the invocation timeout is checked between
hops, not enforced within one (a stage cannot be interrupted in-process); a stage
that crashes the interpreter takes the caller with it; and two inference scripts of
one pipeline share `sys.modules`, so their helper modules must not share names.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from werkzeug.datastructures import Headers

from inferline import stages
from inferline.containers.core import modeldata, modeldir
from inferline.containers.core.container import ContainerHandler
from inferline.containers.core.definition import ContainerSpec, ModelSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.invocation import ExecutionParameters
from inferline.containers.core.settings import Settings
from inferline.containers.images import for_image
from inferline.containers.pipeline.chain import (
    DEFAULT_TIMEOUT_SECONDS,
    Chain,
    HopReply,
    Request,
    Result,
)

IN_PROCESS_LOG = "this process's log"


@dataclass
class StageHop:
    """One container's stage, answering in this process."""

    spec: ContainerSpec
    handler: ContainerHandler

    @property
    def hostname(self) -> str:
        return self.spec.hostname

    @property
    def log_stream(self) -> str:
        return IN_PROCESS_LOG

    def post(self, body: bytes, headers: dict[str, str], timeout: float) -> HopReply:
        reply = self.handler.invoke(body, headers)
        answer_headers = Headers(reply.headers)
        answer_headers["Content-Type"] = reply.content_type
        return HopReply(reply.status, answer_headers, reply.body)

    def close(self) -> None:
        pass


@dataclass
class InProcessPipeline:
    """A model's containers as stages in this process, behind SageMaker's chaining rules."""

    model: ModelSpec
    chain: Chain
    hops: list[StageHop]
    workdir: Path
    _own_workdir: bool = field(default=False, repr=False)

    @classmethod
    def load(
        cls,
        model: ModelSpec,
        workdir: Path | None = None,
        *,
        environment: Mapping[str, str] | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> InProcessPipeline:
        """Load every container's stage.

        Args:
            model: the CreateModel definition (1 container, or a pipeline of 2-15).
            workdir: where s3:// model data and archives are unpacked; a temporary
                directory (removed by `close`) when None.
            environment: variables added to every container's Environment, as a batch
                transform job adds SAGEMAKER_BATCH and its limits.

        Raises:
            ConfigurationError: an image that is not inferline's, or a bad setting.
            ModelLoadError: a model cannot be fetched, extracted or loaded.
        """
        own = workdir is None
        root = Path(tempfile.mkdtemp(prefix="inferline-inprocess-")) if own else workdir
        assert root is not None
        try:
            hops = [load_stage(spec, root, environment or {}) for spec in model.containers]
        except BaseException:
            if own:
                shutil.rmtree(root, ignore_errors=True)
            raise
        chain = Chain(model, hops, endpoint=model.name, timeout=timeout)
        return cls(model, chain, hops, root, own)

    def invoke(self, request: Request) -> Result:
        """Run a request through the stages; raise `InvocationError` (ModelError, ...)."""
        return self.chain.invoke(request)

    def execution_parameters(self, hostname: str | None = None) -> ExecutionParameters:
        """GET /execution-parameters of one container: the first unless named."""
        hop = self.hops[0] if hostname is None else self._hop(hostname)
        return hop.handler.execution_parameters()

    def _hop(self, hostname: str) -> StageHop:
        for hop in self.hops:
            if hop.hostname == hostname:
                return hop
        raise KeyError(f"no container {hostname!r} in model {self.model.name}")

    def close(self) -> None:
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> InProcessPipeline:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def load_stage(spec: ContainerSpec, workdir: Path, environment: Mapping[str, str]) -> StageHop:
    """Load one container as its serving image would: image defaults, then its Environment."""
    image = for_image(spec.image)
    if image is None:
        raise ConfigurationError(
            f"container {spec.hostname}: image {spec.image!r} is not one of inferline's, "
            "so it cannot run in-process; use the process or docker runtime"
        )
    if spec.model_data_url is None:
        raise ConfigurationError(f"container {spec.hostname}: ModelDataUrl is required in-process")
    defaults = {"INFERLINE_STAGE": image.default_stage} if image.default_stage else {}
    env = {**defaults, **spec.environment, **environment}
    model_path = modeldata.fetch(spec.model_data_url, workdir, spec.hostname)
    settings = Settings.from_env(env, model_dir=model_path)
    model_dir = modeldir.resolve(
        model_path,
        extract_to=_extraction(model_path, workdir, spec),
        limit=settings.max_extracted_bytes,  # the container's own limits, as `serve` reads them
        members=settings.max_archive_members,
    )
    stage = stages.load(settings.stage, model_dir, settings)
    return StageHop(spec, ContainerHandler(stage, settings))


def _extraction(model_path: Path, workdir: Path, spec: ContainerSpec) -> Path | None:
    """Where an archive is unpacked: in the work directory, one folder per container."""
    return None if model_path.is_dir() else workdir / "models" / spec.hostname
