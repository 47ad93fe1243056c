"""A deployment: every container of an endpoint's variants, started, healthy and routed.

`Deployment.start` does what CreateEndpoint does: fetch each container's model data,
give each its ports, start them all at once, then poll every /ping (2 s per ping,
`lifecycle.wait_ready`) until all answer 200, or fail with the containers that did
not and their log tails.
A container that crashes while serving is restarted in the background: at once when
its runtime reports the exit (`ExitReported`: the process runtime's watcher), else
when a request or a health check finds it gone; a container that crashes again soon
after a restart waits `backoff` seconds first, doubling each time, so a crash loop
does not spin.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from inferline.containers.core import modeldata
from inferline.containers.core.definition import EndpointSpec, ModelSpec
from inferline.containers.core.errors import InferlineError, ValidationError
from inferline.containers.harness import lifecycle, ports
from inferline.containers.harness.hops import HttpChain
from inferline.containers.harness.runtime import Container, Launch, Runtime
from inferline.containers.pipeline.chain import DEFAULT_TIMEOUT_SECONDS

log = logging.getLogger("inferline.harness")

READY_SECONDS = 240.0  # SageMaker gives containers 4 minutes to pass the health check
WAIT_POLL_SECONDS = 0.2
BACKOFF_SECONDS = 0.5  # before the second restart of a crash loop; doubled each time after
BACKOFF_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0  # healthy this long after a restart: its next crash is a first one again


@runtime_checkable
class ExitReported(Protocol):
    """A container whose runtime calls `on_exit` the moment it exits without `stop`."""

    on_exit: Callable[[Container], None] | None


def backoff(crashes: int) -> float:
    """Seconds to wait before restarting after `crashes` crashes in a row (the first: 0)."""
    if crashes <= 1:
        return 0.0
    return min(BACKOFF_SECONDS * 2.0 ** (crashes - 2), BACKOFF_MAX_SECONDS)


@dataclass(frozen=True)
class Options:
    """How a harness runs its containers."""

    workdir: Path
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    ready_seconds: float = READY_SECONDS


@dataclass
class Deployment:
    """The running containers of one endpoint spec, one `HttpChain` per variant."""

    spec: EndpointSpec
    chains: dict[str, HttpChain]
    held_ports: set[int]
    """The loopback ports its containers hold, released when it stops."""
    _in_flight: int = 0
    _idle: threading.Condition = field(default_factory=threading.Condition)
    _restarting: set[int] = field(default_factory=set)
    _crashes: dict[int, tuple[int, float | None]] = field(default_factory=dict)
    """id(container) -> (crashes in a row, when its last restart became healthy: None
    while it has not)."""
    _stopped: bool = False
    _draining: bool = False

    @classmethod
    def start(
        cls, spec: EndpointSpec, runtime: Runtime, options: Options, taken: set[int]
    ) -> Deployment:
        """Start every container of `spec` and wait until all are healthy.

        Raises:
            StartupError: some containers never answered /ping; they are stopped again.
            ConfigurationError: an image or ModelDataUrl cannot be used (nothing started).
        """
        for variant in spec.variants:
            for container_spec in variant.model.containers:
                runtime.check(container_spec)
        generation = f"{spec.name}-{int(time.time() * 1000)}"
        before = set(taken)
        groups: dict[str, list[Container]] = {}
        started: list[Container] = []
        try:
            for variant in spec.variants:
                group = _launches(variant.model, options.workdir, generation, variant.name, taken)
                groups[variant.name] = []
                for launch in group:
                    container = runtime.start(launch)
                    started.append(container)
                    groups[variant.name].append(container)
            wait_healthy(started, options.ready_seconds)
        except BaseException:
            _stop_all(started)
            taken.intersection_update(before)
            raise
        used = taken - before
        deployment = cls(spec, {}, used)
        deployment.chains = {
            variant.name: HttpChain(
                variant.model,
                groups[variant.name],
                endpoint=spec.name,
                timeout=options.timeout,
                on_crash=deployment.restart_later,
            )
            for variant in spec.variants
        }
        for container in started:
            if isinstance(container, ExitReported):
                container.on_exit = deployment.restart_later
        return deployment

    @property
    def containers(self) -> list[Container]:
        return [container for chain in self.chains.values() for container in chain.containers]

    def down(self) -> list[Container]:
        """Containers not serving: exited, or restarting until their /ping answers 200 again
        (a restarted process runs, but loads its model before it binds its port)."""
        with self._idle:
            restarting = set(self._restarting)
        return [c for c in self.containers if not c.alive() or id(c) in restarting]

    def serves(self) -> bool:
        """True while every container serves (a router skips a copy for which it is False).

        A container found exited here is restarted in the background, so a copy that
        no request reaches while it is skipped still comes back.
        """
        down = self.down()
        for container in down:
            if not container.alive():
                self.restart_later(container)
        return not down

    def wait_serving(self, seconds: float) -> bool:
        """Wait (bounded) until every container serves, restarting exited ones; False if
        some still do not. For a caller with nothing else to do meanwhile (a batch job):
        a retry sent while its container restarts would be an attempt wasted."""
        deadline = time.monotonic() + seconds
        while not self.serves():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._idle:  # a finished restart notifies; exits are polled
                self._idle.wait(min(remaining, WAIT_POLL_SECONDS))
        return True

    def choose(self, target_variant: str | None) -> tuple[str, HttpChain]:
        """The variant to serve a request: the pinned one, else random by weight."""
        if target_variant is not None:
            if target_variant not in self.chains:
                raise ValidationError(
                    f"TargetVariant {target_variant!r} is not a variant of "
                    f"endpoint {self.spec.name}; "
                    f"choose one of {', '.join(self.chains)}"
                )
            return target_variant, self.chains[target_variant]
        variants = self.spec.variants
        chosen = random.choices(variants, weights=[variant.weight for variant in variants])[0]  # noqa: S311  # a weighted traffic split, not a secret
        return chosen.name, self.chains[chosen.name]

    @contextmanager
    def serving(self) -> Iterator[bool]:
        """Count an in-flight request, so `drain` can wait for it.

        Yields False (and counts nothing) once the deployment is draining: the caller
        takes the endpoint's new deployment instead.
        """
        with self._idle:
            if self._draining:
                accepted = False
            else:
                accepted = True
                self._in_flight += 1
        try:
            yield accepted
        finally:
            if accepted:
                with self._idle:
                    self._in_flight -= 1
                    self._idle.notify_all()

    def drain(self, seconds: float) -> None:
        """Refuse new requests, then wait (bounded) until none is in flight."""
        with self._idle:
            self._draining = True
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=seconds)

    def restart_later(self, container: Container) -> None:
        """Restart a crashed container in the background (once, however many requests saw it)."""
        with self._idle:
            if self._stopped or id(container) in self._restarting:
                return
            self._restarting.add(id(container))
        threading.Thread(
            target=self._restart,
            args=(container,),
            daemon=True,
            name=f"restart-{container.hostname}",
        ).start()

    def _restart(self, container: Container) -> None:
        with self._idle:
            crashes, healthy_at = self._crashes.get(id(container), (0, None))
            if healthy_at is not None and time.monotonic() - healthy_at > STABLE_SECONDS:
                crashes = 0
            crashes += 1
            self._crashes[id(container)] = (crashes, None)
            delay = backoff(crashes)
        log.warning(
            "container %s exited; restarting it%s (log: %s)",
            container.hostname,
            f" in {delay:g} s ({crashes} crashes in a row)" if delay else "",
            container.log_path,
        )
        healthy = False
        try:
            with self._idle:  # stop() cuts the back-off short
                if self._idle.wait_for(lambda: self._stopped, timeout=delay):
                    return
            container.restart()
            wait_healthy([container], READY_SECONDS)
            healthy = True
            log.warning("container %s is healthy again", container.hostname)
        except (InferlineError, OSError) as error:
            log.error("restarting %s failed: %s", container.hostname, error)
        finally:
            with self._idle:
                self._restarting.discard(id(container))
                if healthy:
                    self._crashes[id(container)] = (crashes, time.monotonic())
                stopped = self._stopped
                self._idle.notify_all()
            if stopped:  # stop() ran meanwhile: do not leave this one behind
                container.stop()
            elif not container.alive():  # it died again while starting: next round, later
                self.restart_later(container)

    def stop(self) -> None:
        """Stop every container; restarts under way finish and are stopped too."""
        with self._idle:
            self._stopped = True
        for chain in self.chains.values():
            chain.close()
        _stop_all(self.containers)


def _launches(
    model: ModelSpec, workdir: Path, generation: str, variant: str, taken: set[int]
) -> list[Launch]:
    logs = workdir / "logs"
    launches = []
    for spec in model.containers:
        url = spec.model_data_url
        path = modeldata.fetch(url, workdir / generation, spec.hostname) if url else None
        log_name = spec.hostname if variant == "AllTraffic" else f"{variant}-{spec.hostname}"
        launches.append(Launch(spec, path, ports.allocate(taken), logs / f"{log_name}.log"))
    return launches


def wait_healthy(containers: list[Container], seconds: float) -> None:
    """Poll every container's /ping until all answer 200 (SageMaker's 2 s per ping).

    Raises:
        StartupError: a container exited, or did not answer in time; all such are listed.
    """
    lifecycle.wait_ready(containers, seconds, noun="container")


def _stop_all(containers: list[Container]) -> None:
    """Stop containers in parallel: each may take its graceful period."""
    threads = [threading.Thread(target=container.stop) for container in containers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
