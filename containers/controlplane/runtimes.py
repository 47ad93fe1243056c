"""Which runtime runs a container: inferline's images as processes, any other under docker.

A pipeline may put a user's own image next to inferline's, as on SageMaker. With
``runtime="process"`` (the default) the control plane runs inferline's images as
`inferline serve` subprocesses and hands every other image to the docker runtime,
which needs an answering engine and the image in it (its check says which is
missing). ``runtime="docker"`` runs every container under docker.
"""

from __future__ import annotations

from inferline.containers.core.definition import ContainerSpec
from inferline.containers.harness.runtime import Container, Launch, Runtime, image_kind, runtime_for
from inferline.containers.images import IMAGES


class MixedRuntime:
    """The process runtime for inferline's images, the docker runtime for the rest."""

    def __init__(self) -> None:
        self.process = runtime_for("process")
        self._docker: Runtime | None = None

    def runtime(self, spec: ContainerSpec) -> Runtime:
        if image_kind(spec.image) in IMAGES:
            return self.process
        if self._docker is None:
            self._docker = runtime_for("docker")
        return self._docker

    def check(self, spec: ContainerSpec) -> None:
        """Raises ConfigurationError or EngineError naming the image (see module docstring)."""
        self.runtime(spec).check(spec)

    def start(self, launch: Launch) -> Container:
        return self.runtime(launch.spec).start(launch)


def for_name(name: str) -> Runtime:
    """The control plane's runtime: "process" mixes in docker for foreign images."""
    return MixedRuntime() if name == "process" else runtime_for(name)
