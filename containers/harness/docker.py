"""The docker runtime: each container of a pipeline runs from its image, as SageMaker runs it.

``inferline up PIPELINE.json --runtime docker`` starts every container with
``docker run IMAGE serve``: host networking, its own SAGEMAKER_BIND_TO_PORT (and safe
port range), its Environment, and its model data extracted to a host folder mounted
read-only at /opt/ml/model. Health is the harness's /ping polling; the log is
``docker logs --follow`` (copied by `lifecycle.copy_lines`, as the process
runtime's output is); stopping is ``docker stop`` with SageMaker's 30 s between
SIGTERM and SIGKILL::

    runtime = DockerRuntime()
    runtime.check(spec)              # the engine answers and holds the image
    container = runtime.start(launch)
    container.stop()                 # graceful; container.exit_code is then 0

A docker container is not the harness's child, so it would outlive a harness killed
with SIGKILL: each has a watchdog process, tied to the harness by the parent-death
signal (`lifecycle.tie_to_parent`), that removes it when the harness dies. Each also
carries the harness's id as a label, for `daemon.clean_up` at the next `inferline up`.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.core import modeldir
from inferline.containers.core.definition import ContainerSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.settings import Settings
from inferline.containers.harness import lifecycle, state
from inferline.containers.harness.runtime import Launch, Launched, image_kind
from inferline.containers.images import engine

MODEL_MOUNT = "/opt/ml/model"
STOP_SECONDS = 30  # SageMaker's grace between SIGTERM and SIGKILL
LABEL = "inferline.harness=true"  # `docker ps --filter label=inferline.harness` finds them
LOG_JOIN_SECONDS = 5.0
# The watchdog: waits for SIGTERM (its parent-death signal), then removes the container.
WATCHDOG = (
    "import signal, subprocess, sys\n"
    "signal.sigwait({signal.SIGTERM})\n"
    "subprocess.run([sys.argv[1], 'rm', '--force', sys.argv[2]], capture_output=True)\n"
)


class DockerRuntime:
    """Starts each container with `docker run`; images must be in the local engine."""

    def check(self, spec: ContainerSpec) -> None:
        """Raise unless an engine answers and holds the container's image.

        Raises:
            EngineError: no docker engine answers.
            ConfigurationError: the image is not in the engine; the message says how to get it.
        """
        engine.require()
        if not engine.image_exists(spec.image):
            kind = image_kind(spec.image)
            how = f"`inferline build {kind}`" if kind else "docker pull or docker build"
            raise ConfigurationError(
                f"container {spec.hostname}: image {spec.image!r} is not in the docker engine; "
                f"make it with {how}"
            )

    def start(self, launch: Launch) -> DockerContainer:
        container = DockerContainer(launch)
        container.start()
        return container


@dataclass
class DockerContainer(Launched):
    """One `docker run -d` of a launch; its log follows `docker logs` into the log file."""

    launch: Launch
    exit_code: int | None = None
    """The container's exit code once it stopped (0: it shut down gracefully)."""
    _name: str = ""
    _model_dir: Path | None = field(default=None, repr=False)
    _waiter: subprocess.Popen[str] | None = field(default=None, repr=False)
    _log_thread: threading.Thread | None = field(default=None, repr=False)
    _log_follower: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _watchdog: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        """The docker container name (``inferline-<hostname>-<port>-<random>``)."""
        return self._name

    def start(self) -> None:
        """`docker run -d` the image's `serve`; return once it runs (not yet healthy)."""
        with self._lock:
            self._name = (
                f"inferline-{self.hostname}-{self.launch.allocation.port}-{uuid.uuid4().hex[:6]}"
            )
            self.exit_code = None
            # Blocked before it starts, so a SIGTERM that comes early is not lost.
            self._watchdog = lifecycle.spawn(
                [sys.executable, "-c", WATCHDOG, engine.DOCKER, self._name],
                stdout=subprocess.DEVNULL,
                env=None,
                blocked=(signal.SIGTERM,),
            )
            engine.run(self._run_arguments(), quiet=True)
            # `docker wait` returns when the container stops: alive() without polling docker.
            self._waiter = subprocess.Popen(
                [engine.DOCKER, "wait", self._name],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
            )
            self._log_follower = subprocess.Popen(
                [engine.DOCKER, "logs", "--follow", self._name],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            assert self._log_follower.stdout is not None
            self._log_thread = lifecycle.copy_lines(
                self._log_follower.stdout, self.log_path, self.hostname
            )

    def _run_arguments(self) -> list[str]:
        # Host networking: the container binds its own port on loopback, as the process
        # runtime does; SageMaker gives each container of a pipeline its own port the same way.
        environment = {**self.launch.environment, "INFERLINE_BIND_HOST": "127.0.0.1"}
        arguments = ["run", "--detach", "--name", self._name, "--network", "host", "--label", LABEL]
        arguments += ["--label", f"{state.HARNESS_LABEL}={state.harness_id()}"]
        for key, value in environment.items():
            arguments += ["--env", f"{key}={value}"]
        model_dir = self._mounted_model()
        if model_dir is not None:
            arguments += ["--volume", f"{model_dir}:{MODEL_MOUNT}:ro"]
        return [*arguments, self.launch.spec.image, "serve"]

    def _mounted_model(self) -> Path | None:
        """The host folder mounted at /opt/ml/model: the model data, extracted if an archive."""
        path = self.launch.model_path
        if path is None or path.is_dir():
            return path.resolve() if path else None
        if self._model_dir is None:
            self._model_dir = Path(tempfile.mkdtemp(prefix=f"inferline-{self.hostname}-model-"))
            # The container's own limits, as its `inferline serve` would read them.
            limits = Settings.from_env(self.launch.spec.environment)
            modeldir.extract(
                path, self._model_dir, limits.max_extracted_bytes, limits.max_archive_members
            )
            self._model_dir.chmod(0o755)  # mkdtemp's 0700 would hide it from a non-root image
        return self._model_dir

    def alive(self) -> bool:
        with self._lock:
            return self._waiter is not None and self._waiter.poll() is None

    def restart(self) -> None:
        self._stop_container()
        self.start()

    def stop(self) -> None:
        """`docker stop` (SIGTERM, SIGKILL after 30 s), keep the exit code, remove; idempotent."""
        self._stop_container()
        if self._model_dir is not None:
            shutil.rmtree(self._model_dir, ignore_errors=True)
            self._model_dir = None

    def _stop_container(self) -> None:
        with self._lock:
            waiter, self._waiter = self._waiter, None
            log_thread, self._log_thread = self._log_thread, None
            follower, self._log_follower = self._log_follower, None
            watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.kill()  # this stop removes the container itself
            watchdog.wait()
        if waiter is None:
            return
        subprocess.run(
            [engine.DOCKER, "stop", "--time", str(STOP_SECONDS), self._name],
            capture_output=True,
            check=False,
        )
        output, _ = waiter.communicate()
        self.exit_code = int(output.strip()) if output.strip().lstrip("-").isdigit() else None
        if log_thread is not None:
            log_thread.join(LOG_JOIN_SECONDS)
        if follower is not None:
            try:
                follower.wait(LOG_JOIN_SECONDS)  # `docker logs --follow` ends with the container
            except subprocess.TimeoutExpired:
                follower.kill()
                follower.wait()
        subprocess.run(
            [engine.DOCKER, "rm", "--force", self._name], capture_output=True, check=False
        )
