"""The process runtime: each container of a pipeline is an `inferline serve` subprocess.

No Docker needed: the container's image name picks the stage (its Dockerfile's
``ENV`` defaults, applied under the container's Environment), it binds its
SAGEMAKER_BIND_TO_PORT on loopback, and its output goes, each line prefixed with
its hostname, to its log file (`lifecycle.start`)::

    runtime = ProcessRuntime()
    runtime.check(spec)                 # an inferline image with a ModelDataUrl
    container = runtime.start(launch)   # running, not yet healthy
    container.stop()
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field

from inferline.containers.core.definition import ContainerSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.harness import lifecycle, state
from inferline.containers.harness.runtime import Launch, Launched, image_kind
from inferline.containers.images import IMAGES

STOP_SECONDS = 20.0
# Variables of the harness's own shell that must not leak into a container: SageMaker
# starts containers with their Environment only.
PRIVATE_PREFIXES = ("SAGEMAKER_", "SM_", "INFERLINE_")
# Packages the harness's venv holds but an image does not ship, hidden from its
# containers: the xgboost library imports its optional scikit-learn integration when it
# finds one, which was 5 s of a 7 s xgboost container (re)start (docs/reliability.md).
ABSENT_FROM_IMAGE: dict[str, tuple[str, ...]] = {"xgboost": ("sklearn",)}
# `python -c BOOTSTRAP <absent,names> serve ...`: run `inferline` with those hidden.
BOOTSTRAP = """
import runpy, sys
absent = set(sys.argv.pop(1).split(","))
class NotInThisImage:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in absent:
            raise ModuleNotFoundError(f"No module named {name!r} (not in this image)", name=name)
        return None
sys.meta_path.insert(0, NotInThisImage())
sys.argv[0] = "inferline"
runpy.run_module("inferline.containers", run_name="__main__", alter_sys=True)
"""


class ProcessRuntime:
    """Runs the toolkit's own images as `inferline serve` subprocesses on loopback."""

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

    def start(self, launch: Launch) -> ProcessContainer:
        self.check(launch.spec)
        container = ProcessContainer(launch)
        container.start()
        return container


@dataclass
class ProcessContainer(Launched):
    """One `inferline serve` subprocess of a launch; restart starts a new one."""

    launch: Launch
    _server: lifecycle.ServerProcess | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def start(self) -> None:
        absent = ABSENT_FROM_IMAGE.get(image_kind(self.launch.spec.image) or "")
        if absent:
            command = [sys.executable, "-c", BOOTSTRAP, ",".join(absent)]
        else:
            command = [sys.executable, "-m", "inferline.containers"]
        command += ["serve", "--host", "127.0.0.1"]
        if self.launch.model_path is not None:
            command += ["--model-dir", str(self.launch.model_path)]
        with self._lock:
            self._server = lifecycle.start(
                command,
                url=self.url,
                log_path=self.log_path,
                env=self._environment(),
                hostname=self.hostname,
                prefix_lines=True,
            )

    def _environment(self) -> dict[str, str]:
        inherited = {
            key: value for key, value in os.environ.items() if not key.startswith(PRIVATE_PREFIXES)
        }
        kind = image_kind(self.launch.spec.image)
        image = IMAGES.get(kind or "")
        stage = image.default_stage if image else None
        defaults = {"INFERLINE_STAGE": stage} if stage else {}
        # The harness's mark, by which `daemon.clean_up` finds a dead harness's leftovers.
        mark = {state.HARNESS_VARIABLE: state.harness_id()}
        return {**inherited, **defaults, **self.launch.environment, **mark}

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        """The running `inferline serve` (its pid is its process group's), once started."""
        with self._lock:
            return self._server.process if self._server is not None else None

    # The attribute tests/harness/test_pipeline.py reaches for to crash a container.
    _process = process

    def alive(self) -> bool:
        with self._lock:
            server = self._server
        return server is not None and server.alive()

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        with self._lock:
            server = self._server
        if server is not None:
            server.stop(STOP_SECONDS)
