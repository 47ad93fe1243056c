"""The endpoint's metrics in Prometheus format, under SageMaker's CloudWatch names.

Each harness has its own registry (two LocalEndpoints in one notebook do not mix)::

    Invocations_total{endpoint, variant}            requests routed to a variant
    Invocation4XXErrors_total{endpoint, variant}    a container answered 4xx
    Invocation5XXErrors_total{endpoint, variant}    a container answered 5xx, crashed or timed out
    ModelLatency{endpoint, variant}                 µs, the sum over the containers (summary)
    OverheadLatency{endpoint, variant}              µs, the harness's own time (summary)
    ContainerLatency{endpoint, variant, container}  µs, per container (summary)
"""

from __future__ import annotations

from typing import NamedTuple

from prometheus_client import CollectorRegistry, Counter, Summary, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class _VariantMetrics(NamedTuple):
    invocations: Counter
    errors_4xx: Counter
    errors_5xx: Counter
    model_latency: Summary
    overhead_latency: Summary


class Metrics:
    """Counters and latency summaries for every endpoint of one harness."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Labelled children by label values (a dict read is atomic; a race only builds
        # the same child twice, prometheus_client returning the one it holds).
        self._variants: dict[tuple[str, str], _VariantMetrics] = {}
        self._containers: dict[tuple[str, str, str], Summary] = {}
        labels = ("endpoint", "variant")
        self.invocations = Counter(
            "Invocations",
            "InvokeEndpoint requests routed to a variant",
            labels,
            registry=self.registry,
        )
        self.errors_4xx = Counter(
            "Invocation4XXErrors",
            "Invocations where a container answered 4xx",
            labels,
            registry=self.registry,
        )
        self.errors_5xx = Counter(
            "Invocation5XXErrors",
            "Invocations where a container answered 5xx, crashed or timed out",
            labels,
            registry=self.registry,
        )
        self.model_latency = Summary(
            "ModelLatency",
            "Time in the containers, summed over them (µs)",
            labels,
            registry=self.registry,
        )
        self.overhead_latency = Summary(
            "OverheadLatency", "Time the harness added (µs)", labels, registry=self.registry
        )
        self.container_latency = Summary(
            "ContainerLatency",
            "Time in one container (µs)",
            (*labels, "container"),
            registry=self.registry,
        )

    def record(
        self,
        endpoint: str,
        variant: str,
        latencies: dict[str, int],
        total_us: int,
        error_status: int | None = None,
    ) -> None:
        """Count one invocation: its per-container times, total time and failing status if any."""
        variant_metrics = self._variant(endpoint, variant)
        variant_metrics.invocations.inc()
        if error_status is not None:
            (variant_metrics.errors_4xx if error_status < 500 else variant_metrics.errors_5xx).inc()
        model = sum(latencies.values())
        for container, micros in latencies.items():
            self._container(endpoint, variant, container).observe(micros)
        variant_metrics.model_latency.observe(model)
        variant_metrics.overhead_latency.observe(max(total_us - model, 0))

    def _variant(self, endpoint: str, variant: str) -> _VariantMetrics:
        """One variant's labelled children, looked up once: `labels()` validates and locks
        on every call, about 5% of the harness's own time per invocation (py-spy)."""
        key = (endpoint, variant)
        found = self._variants.get(key)
        if found is None:
            found = self._variants[key] = _VariantMetrics(
                self.invocations.labels(*key),
                self.errors_4xx.labels(*key),
                self.errors_5xx.labels(*key),
                self.model_latency.labels(*key),
                self.overhead_latency.labels(*key),
            )
        return found

    def _container(self, endpoint: str, variant: str, container: str) -> Summary:
        key = (endpoint, variant, container)
        found = self._containers.get(key)
        if found is None:
            found = self._containers[key] = self.container_latency.labels(*key)
        return found

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
