"""What a harness runtime is: the `Runtime`, `Container` and `Launch` protocols, and the registry.

A runtime turns a `Launch` (what SageMaker would give the container: image, model
data, environment, port) into a `Container` handle. The runtimes themselves live in
their own modules, imported only when `runtime_for` names them: the process runtime
(`harness.process`, no Docker needed) and the docker runtime (`harness.docker`)::

    runtime = runtime_for("process")
    runtime.check(spec)                     # before anything starts: is the image known?
    container = runtime.start(launch)
    container.url, container.log_path, container.alive()
    container.restart(); container.stop()

This module imports neither runtime, so each may import it without a cycle.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.harness.ports import Allocation

if TYPE_CHECKING:
    from inferline.containers.core.definition import ContainerSpec

RUNTIMES: dict[str, str] = {
    "process": "inferline.containers.harness.process:ProcessRuntime",
    "docker": "inferline.containers.harness.docker:DockerRuntime",
}
"""Runtime name -> ``module:class``; the class is constructed without arguments."""

# The inferline images' names, with any registry prefix, tag or digest.
IMAGE_NAME = re.compile(r"(?:.*/)?inferline-(?P<kind>[a-z0-9-]+?)(?::[^/]*)?(?:@.*)?$")


@dataclass(frozen=True)
class Launch:
    """Everything a runtime needs to start one container."""

    spec: ContainerSpec
    model_path: Path | None
    allocation: Allocation
    log_path: Path

    @property
    def environment(self) -> dict[str, str]:
        """The container's Environment plus the port variables SageMaker sets."""
        return {**self.spec.environment, **self.allocation.environment}


class Container(Protocol):
    """A running container: where it answers, where it logs, and its lifecycle."""

    @property
    def hostname(self) -> str: ...

    @property
    def url(self) -> str:
        """Base URL on loopback: ``http://127.0.0.1:<port>``."""
        ...

    @property
    def log_path(self) -> Path: ...

    def alive(self) -> bool:
        """True while the container's process runs (it may not answer /ping yet)."""
        ...

    def restart(self) -> None:
        """Stop the container if it still runs, and start it again with the same launch."""
        ...

    def stop(self) -> None:
        """Stop gracefully (SIGTERM, then kill after a grace period); idempotent."""
        ...


class Runtime(Protocol):
    """Starts containers; one instance serves a whole harness."""

    def check(self, spec: ContainerSpec) -> None:
        """Raise `ConfigurationError` naming the image if this runtime cannot run it."""
        ...

    def start(self, launch: Launch) -> Container:
        """Start the container; return at once (readiness is polled by the caller)."""
        ...


class Launched:
    """Where a started container listens and logs, read off its Launch (a runtime's base)."""

    launch: Launch

    @property
    def hostname(self) -> str:
        return self.launch.spec.hostname

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.launch.allocation.port}"

    @property
    def log_path(self) -> Path:
        return self.launch.log_path


def runtime_for(name: str) -> Runtime:
    """The runtime registered as `name` in `RUNTIMES`, its module imported now.

    Raises:
        ConfigurationError: no such runtime, or its module cannot be imported here.
    """
    if name not in RUNTIMES:
        raise ConfigurationError(f"unknown runtime {name!r}; choose one of {', '.join(RUNTIMES)}")
    module_name, _, class_name = RUNTIMES[name].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigurationError(f"the {name} runtime is not available here ({error})") from None
    runtime: Runtime = getattr(module, class_name)()
    return runtime


def image_kind(image: str) -> str | None:
    """The inferline image kind in an image name (any registry prefix or tag), else None."""
    match = IMAGE_NAME.fullmatch(image)
    return match.group("kind") if match else None
