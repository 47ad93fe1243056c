"""A live endpoint: its variants, each N copies of the variant's containers.

SageMaker places a variant's model (one container, or a pipeline of 2-15) on each
of InitialInstanceCount instances and spreads requests over them. Here each copy
is one harness `Endpoint` (a co-located set of containers with its own chain); a
`Fleet` picks the variant by weight (or TargetVariant), then the copy round-robin,
skipping a copy while one of its containers is down (crashed or restarting).

Changes happen without losing a request: new copies start before they are routed
to, and a copy leaves the rotation first, then is drained (its in-flight requests
finish), then stopped. The `Fleet` object stays the same for the endpoint's life,
so a request that looked it up just before a change still finds a copy.
"""

from __future__ import annotations

import random
import statistics
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from inferline.containers.controlplane.capture import Capture
from inferline.containers.core.errors import ValidationError
from inferline.containers.harness.endpoint import Endpoint
from inferline.containers.pipeline.chain import Request, Result

DRAIN_SECONDS = 60.0
LATENCY_WINDOW = 2000  # recent invocations kept per variant for p50/p99 on the page


@dataclass(eq=False)
class Copy:
    """One instance of a variant: a harness endpoint serving only that variant."""

    endpoint: Endpoint
    in_flight: int = 0
    served: int = 0
    latencies: dict[str, deque[int]] = field(default_factory=dict)
    """Recent µs per container hostname, for the page's p50/p99."""


@dataclass(eq=False)
class Variant:
    """A production variant's live copies and routing weight."""

    name: str
    weight: float
    copies: list[Copy]
    images: list[str]
    turn: int = 0
    # The harness's Metrics are Prometheus summaries (count and sum, no quantiles), so
    # the page's p50/p99 come from this window of recent latencies (µs).
    totals: deque[int] = field(default_factory=lambda: deque(maxlen=LATENCY_WINDOW))


class Fleet:
    """Routes one endpoint's invocations to its variants' copies."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.capture: Capture | None = None
        self._variants: dict[str, Variant] = {}
        self._changed = threading.Condition()

    def invoke(self, request: Request, target_variant: str | None = None) -> tuple[str, Result]:
        """Run the request on a copy of the chosen variant (the harness app calls this).

        Raises:
            InvocationError: ValidationError (unknown variant, nothing serving) or ModelError.
        """
        started = time.perf_counter_ns()
        with self._changed:
            variant = self._choose(target_variant)
            copy = _next_serving(variant)
            copy.in_flight += 1
            copy.served += 1
        try:
            _, result = copy.endpoint.invoke(request, variant.name)
        finally:
            with self._changed:
                copy.in_flight -= 1
                self._changed.notify_all()
        variant.totals.append((time.perf_counter_ns() - started) // 1000)
        for hostname, micros in result.latencies.items():
            copy.latencies.setdefault(hostname, deque(maxlen=LATENCY_WINDOW)).append(micros)
        if self.capture is not None:
            self.capture.offer(
                variant.name,
                request.content_type,
                request.body,
                result.content_type,
                result.body,
                request.inference_id,
            )
        return variant.name, result

    def _choose(self, target: str | None) -> Variant:
        if target is not None:
            variant = self._variants.get(target)
            if variant is None:
                raise ValidationError(
                    f"TargetVariant {target!r} is not a variant of endpoint {self.name}; "
                    f"choose one of {', '.join(self._variants)}"
                )
            if not variant.copies:
                raise ValidationError(f"variant {target} of endpoint {self.name} has no instances")
            return variant
        serving = [v for v in self._variants.values() if v.copies and v.weight > 0]
        if not serving:
            raise ValidationError(f"endpoint {self.name} has no variant with weight and instances")
        return random.choices(serving, weights=[v.weight for v in serving])[0]  # noqa: S311  # a weighted traffic split, not a secret

    def install(self, variants: list[Variant]) -> list[Copy]:
        """Route to `variants` from now on; returns the copies that left (drain, then stop)."""
        with self._changed:
            old = [copy for variant in self._variants.values() for copy in variant.copies]
            self._variants = {variant.name: variant for variant in variants}
        return old

    def set_weight(self, variant: str, weight: float) -> None:
        with self._changed:
            self._variants[variant].weight = weight

    def add(self, variant: str, copies: list[Copy]) -> None:
        with self._changed:
            self._variants[variant].copies.extend(copies)

    def take(self, variant: str, count: int) -> list[Copy]:
        """Take `count` copies out of the rotation (the newest first)."""
        with self._changed:
            live = self._variants[variant].copies
            taken = live[len(live) - count :] if count else []
            del live[len(live) - count :]
        return taken

    def drain(self, copies: list[Copy], seconds: float = DRAIN_SECONDS) -> None:
        """Wait (bounded) until no request runs on any of `copies`."""
        with self._changed:
            self._changed.wait_for(lambda: all(copy.in_flight == 0 for copy in copies), seconds)

    def retire(self, copies: list[Copy]) -> None:
        """Drain, then stop, copies already out of the rotation."""
        self.drain(copies)
        stop_all(copies)

    def stop(self) -> None:
        """Take every copy out of the rotation, drain and stop them."""
        self.retire(self.install([]))

    def copies(self, variant: str) -> list[Copy]:
        """The variant's copies in the rotation now (each counts the requests it `served`)."""
        with self._changed:
            return list(self._variants[variant].copies)

    def counts(self) -> dict[str, int]:
        with self._changed:
            return {name: len(variant.copies) for name, variant in self._variants.items()}

    def describe(self) -> list[dict[str, Any]]:
        """Each variant's weight, copies and their containers' health, and latencies (ms)."""
        with self._changed:
            variants = list(self._variants.values())
        described = []
        for variant in variants:
            containers = [
                {
                    "copy": index + 1,
                    "hostname": c.hostname,
                    "alive": c.alive(),
                    "latency": _quantiles(list(copy.latencies.get(c.hostname, ()))),
                }
                for index, copy in enumerate(list(variant.copies))
                for c in copy.endpoint.deployment.containers
            ]
            described.append(
                {
                    "VariantName": variant.name,
                    "weight": variant.weight,
                    "instances": len(variant.copies),
                    "containers": containers,
                    "latency": _quantiles(list(variant.totals)),
                }
            )
        return described


def _next_serving(variant: Variant) -> Copy:
    """The next copy round-robin, skipping copies with a container down (crashed or
    restarting: `Deployment.serves` restarts it); the next in turn if all are down."""
    count = len(variant.copies)
    for offset in range(count):
        copy = variant.copies[(variant.turn + offset) % count]
        if copy.endpoint.deployment.serves():
            variant.turn += offset + 1
            return copy
    copy = variant.copies[variant.turn % count]
    variant.turn += 1
    return copy


def _quantiles(micros: list[int]) -> dict[str, float] | None:
    """p50 and p99 in milliseconds, None before the first invocation."""
    if not micros:
        return None
    if len(micros) == 1:
        return {"p50": micros[0] / 1000, "p99": micros[0] / 1000, "count": 1}
    cuts = statistics.quantiles(micros, n=100, method="inclusive")
    return {"p50": cuts[49] / 1000, "p99": cuts[98] / 1000, "count": len(micros)}


def stop_all(copies: list[Copy]) -> None:
    """Stop copies in parallel: each container may take its graceful period."""
    threads = [threading.Thread(target=copy.endpoint.stop) for copy in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
