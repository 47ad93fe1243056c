"""The process runtime: each container of a pipeline is an `inferline serve` process.

No Docker needed: the container's image name picks the stage (its Dockerfile's
``ENV`` defaults, applied under the container's Environment), it binds its
SAGEMAKER_BIND_TO_PORT on loopback, and its output goes, each line prefixed with
its hostname, to its log file (`lifecycle.start`)::

    runtime = ProcessRuntime()
    runtime.check(spec)                 # an inferline image with a ModelDataUrl
    container = runtime.start(launch)   # running, not yet healthy
    container.on_exit = restart_later   # called when it exits without being stopped
    container.stop()

A container is forked by its image's warm zygote (`harness.zygote`: the heavy imports
are paid once per harness, not per start or restart) unless its Environment changes
what an import does; then, and off Linux, it is spawned as a fresh interpreter.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from inferline.containers.core.definition import ContainerSpec, EndpointSpec
from inferline.containers.core.errors import ConfigurationError
from inferline.containers.harness import lifecycle, state, zygote
from inferline.containers.harness.runtime import Launch, Launched, image_kind
from inferline.containers.images import IMAGES

log = logging.getLogger("inferline.harness")

STOP_SECONDS = 20.0
# Variables of the harness's own shell that must not leak into a container: SageMaker
# starts containers with their Environment only.
PRIVATE_PREFIXES = ("SAGEMAKER_", "SM_", "INFERLINE_")
# Packages the harness's venv holds but an image does not ship (tests/docker/test_images.py),
# hidden from its containers: the xgboost library imports its optional scikit-learn
# integration when it finds one, which was 5 s of a 7 s xgboost container (re)start
# (docs/reliability.md), and pandas imports pyarrow when it finds it (0.1-0.3 s).
ABSENT_FROM_IMAGE: dict[str, tuple[str, ...]] = {
    "sklearn": ("pyarrow",),
    "sparkml": ("pyarrow",),
    "xgboost": ("sklearn", "pyarrow"),
}
# `python -c BOOTSTRAP <absent,names> serve ...`: run `inferline` with those hidden.
BOOTSTRAP = """
import runpy, sys
from inferline.containers.harness.zygote import hide_modules
hide_modules(set(sys.argv.pop(1).split(",")))
sys.argv[0] = "inferline"
runpy.run_module("inferline.containers", run_name="__main__", alter_sys=True)
"""
# What a forked container's command line reads (ps, /proc/<pid>/cmdline).
FORKED_ARGV0 = "inferline"


def inherited_environment() -> dict[str, str]:
    """What every container of this harness gets: its shell's variables (minus
    SageMaker's and ours) and the harness's mark, by which `daemon.clean_up` finds a
    dead harness's leftovers."""
    inherited = {
        key: value for key, value in os.environ.items() if not key.startswith(PRIVATE_PREFIXES)
    }
    return {**inherited, state.HARNESS_VARIABLE: state.harness_id()}


def prestart(spec: EndpointSpec) -> None:
    """Start the zygote of each of `spec`'s images that this runtime runs, now: its imports
    are the longest part of a cold start, and overlap the rest of the harness's own start.
    Images it cannot run are left to `ProcessRuntime.check` to refuse."""
    base = inherited_environment()
    kinds = {image_kind(container.image) or "" for container in _containers(spec)}
    for kind in sorted(kinds.intersection(IMAGES)):
        zygote.for_container(kind, ABSENT_FROM_IMAGE.get(kind, ()), base, base)


def _containers(spec: EndpointSpec) -> list[ContainerSpec]:
    return [container for variant in spec.variants for container in variant.model.containers]


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
        # Start the image's zygote importing now, while the harness fetches model data.
        base = inherited_environment()
        zygote.for_container(kind, ABSENT_FROM_IMAGE.get(kind, ()), base, base)

    def start(self, launch: Launch) -> ProcessContainer:
        self.check(launch.spec)
        container = ProcessContainer(launch)
        container.start()
        return container


@dataclass
class ProcessContainer(Launched):
    """One `inferline serve` process of a launch; restart starts a new one."""

    launch: Launch
    on_exit: Callable[[ProcessContainer], None] | None = field(default=None, repr=False)
    """Called (from a watcher thread) the moment the process exits without `stop`."""
    _server: lifecycle.ServerProcess | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _stopping: bool = field(default=False, repr=False)

    def start(self) -> None:
        kind = image_kind(self.launch.spec.image) or ""
        absent = ABSENT_FROM_IMAGE.get(kind, ())
        options = ["serve", "--host", "127.0.0.1"]
        if self.launch.model_path is not None:
            options += ["--model-dir", str(self.launch.model_path)]
        base = inherited_environment()
        environment = self._environment(base)
        server = None
        warm = zygote.for_container(kind, absent, base, environment)
        if warm is not None:
            try:
                server = warm.start(
                    [FORKED_ARGV0, *options],
                    url=self.url,
                    log_path=self.log_path,
                    env=environment,
                    hostname=self.hostname,
                )
            except OSError as error:  # the zygote died meanwhile: a fresh interpreter then
                log.warning("container %s: %s; spawning it", self.hostname, error)
        if server is None:
            server = lifecycle.start(
                self._command(absent) + options,
                url=self.url,
                log_path=self.log_path,
                env=environment,
                hostname=self.hostname,
                prefix_lines=True,
            )
        with self._lock:
            self._server = server
            self._stopping = False
        threading.Thread(
            target=self._watch, args=(server,), name=f"exit-{self.hostname}", daemon=True
        ).start()

    @staticmethod
    def _command(absent: tuple[str, ...]) -> list[str]:
        if absent:
            return [sys.executable, "-c", BOOTSTRAP, ",".join(absent)]
        return [sys.executable, "-m", "inferline.containers"]

    def _watch(self, server: lifecycle.ServerProcess) -> None:
        """Block until `server` exits (no polling: a death is seen at once), then report
        it unless `stop` ended it or a restart replaced it."""
        server.process.wait()
        with self._lock:
            crashed = self._server is server and not self._stopping
        if crashed and self.on_exit is not None:
            self.on_exit(self)

    def _environment(self, inherited: dict[str, str]) -> dict[str, str]:
        kind = image_kind(self.launch.spec.image)
        image = IMAGES.get(kind or "")
        stage = image.default_stage if image else None
        defaults = {"INFERLINE_STAGE": stage} if stage else {}
        mark = {state.HARNESS_VARIABLE: inherited[state.HARNESS_VARIABLE]}
        return {**inherited, **defaults, **self.launch.environment, **mark}

    @property
    def process(self) -> lifecycle.Process | None:
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
            self._stopping = True
        if server is not None:
            server.stop(STOP_SECONDS)
