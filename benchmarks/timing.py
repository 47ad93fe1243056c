"""The one in-process timer of the micro-benchmarks: the median of a call's wall time."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

WARMUP_CALLS = 20  # caches, connections and lazy imports settle before anything is timed


def median_us(call: Callable[[], object], count: int, warmup: int = WARMUP_CALLS) -> float:
    """Median µs of `count` calls, after `warmup` untimed ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6
