"""How a container of a pipeline runs: the `Runtime` protocol and the process runtime.

A runtime turns a `Launch` (what SageMaker would give the container: image, model
data, environment, port) into a `Container` handle. The process runtime runs
`inferline serve` as a subprocess, so no Docker is needed; the docker runtime
(`inferline.containers.harness.docker`) runs the real images behind the same protocol::

    runtime = runtime_for("process")
    runtime.check(spec)                     # before anything starts: is the image known?
    container = runtime.start(launch)
    container.url, container.log_path, container.alive()
    container.restart(); container.stop()
"""

from __future__ import annotations

import importlib
import os
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Protocol

from inferline.containers.core.definition import ContainerSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.harness.ports import Allocation
from inferline.containers.images import IMAGES

STOP_SECONDS = 20.0
# The image's own defaults, as its Dockerfile ENV would set them; Environment overrides.
IMAGE_NAME = re.compile(r"(?:.*/)?inferline-(?P<kind>[a-z0-9-]+?)(?::[^/]*)?(?:@.*)?$")
# Variables of the harness's own shell that must not leak into a container: SageMaker
# starts containers with their Environment only.
PRIVATE_PREFIXES = ("SAGEMAKER_", "SM_", "INFERLINE_")


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

    hostname: str
    url: str
    log_path: Path

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


def runtime_for(name: str) -> Runtime:
    """The runtime called `name`: process (default) or docker."""
    if name == "process":
        return ProcessRuntime()
    if name == "docker":
        try:
            module = importlib.import_module("inferline.containers.harness.docker")
        except ModuleNotFoundError as error:
            raise ConfigurationError(
                f"the docker runtime is not available here ({error})"
            ) from None
        runtime: Runtime = module.DockerRuntime()
        return runtime
    raise ConfigurationError(f"unknown runtime {name!r}; choose process or docker")


def image_kind(image: str) -> str | None:
    """The inferline image kind in an image name (any registry prefix or tag), else None."""
    match = IMAGE_NAME.fullmatch(image)
    return match.group("kind") if match else None


class ProcessRuntime:
    """Each container is an `inferline serve` subprocess on loopback."""

    def check(self, spec: ContainerSpec) -> None:
        kind = image_kind(spec.image)
        if kind not in IMAGES:
            known = ", ".join(image.repository for image in IMAGES.values())
            raise ConfigurationError(
                f"container {spec.hostname}: image {spec.image!r} cannot run in the "
                "process runtime; "
                f"it runs the toolkit's own images ({known}); use --runtime docker for others"
            )
        if spec.model_data_url is None:
            raise ConfigurationError(
                f"container {spec.hostname}: ModelDataUrl is required in the process runtime"
            )

    def start(self, launch: Launch) -> Container:
        self.check(launch.spec)
        process = ProcessContainer(launch)
        process.start()
        return process


class Launched:
    """Where a started container listens and logs, read off its Launch."""

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


@dataclass
class ProcessContainer(Launched):
    """An `inferline serve` subprocess whose output goes, line-prefixed, to its log file."""

    launch: Launch
    _process: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        command = [sys.executable, "-m", "inferline.containers", "serve", "--host", "127.0.0.1"]
        if self.launch.model_path is not None:
            command += ["--model-dir", str(self.launch.model_path)]
        self.launch.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=self._environment(),
                # Its own session: the harness's Ctrl-C must not kill containers mid-drain.
                start_new_session=True,
            )
            stream = self._process.stdout
        assert stream is not None
        threading.Thread(
            target=_copy_lines,
            args=(stream, self.launch.log_path, self.hostname),
            name=f"log-{self.hostname}",
            daemon=True,
        ).start()

    def _environment(self) -> dict[str, str]:
        inherited = {
            key: value for key, value in os.environ.items() if not key.startswith(PRIVATE_PREFIXES)
        }
        kind = image_kind(self.launch.spec.image)
        image = IMAGES.get(kind or "")
        stage = image.default_stage if image else None
        defaults = {"INFERLINE_STAGE": stage} if stage else {}
        return {**inherited, **defaults, **self.launch.environment}

    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        with self._lock:
            process = self._process
        if process is None:
            return
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                pass
        # The whole process group: workers orphaned by a crashed master would keep the port.
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def _copy_lines(stream: IO[bytes], log_path: Path, hostname: str) -> None:
    """Copy a container's output to its log file, each line prefixed with its hostname."""
    prefix = f"{hostname} | ".encode()
    with stream, log_path.open("ab", buffering=0) as log:
        for line in stream:
            log.write(prefix + line)
