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

from prometheus_client import CollectorRegistry, Counter, Summary, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    """Counters and latency summaries for every endpoint of one harness."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
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
        self.invocations.labels(endpoint, variant).inc()
        if error_status is not None:
            (self.errors_4xx if error_status < 500 else self.errors_5xx).labels(
                endpoint, variant
            ).inc()
        model = sum(latencies.values())
        for container, micros in latencies.items():
            self.container_latency.labels(endpoint, variant, container).observe(micros)
        self.model_latency.labels(endpoint, variant).observe(model)
        self.overhead_latency.labels(endpoint, variant).observe(max(total_us - model, 0))

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
