"""A 60-second soak: the car-evaluation pipeline under 16 clients, zero errors, memory flat.

The same run as `make soak` (benchmarks/soak.py: a real `inferline up --detach`
harness, 16 keep-alive clients without pause), in four periods of 15 s instead of
ten minutes. No latency is asserted (speed is the benchmark's); errors and memory are.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from benchmarks import soak
from inferline.training.examples import Trained

GROWTH_MB = 25.0  # per process, first period to last: a leak of one request's worth shows
GROWTH_SHARE = 0.25


def test_sixty_seconds_at_16_clients_without_an_error_or_memory_growth(
    trained: Callable[[str], Trained], tmp_path: Path
) -> None:
    example = trained("car-evaluation")
    run = soak.run(example.out, tmp_path / "home", minutes=4, clients=16, period=15.0)
    print(run.table())  # shown with -s, or when the test fails

    assert run.errors == [], run.errors[:5]
    assert all(period.requests > 0 for period in run.minutes)
    first = run.minutes[0].rss_mb
    assert {"harness", "preprocessor", "xgboost", "postprocessor"} <= set(first), first
    for name, growth in run.growth_mb().items():
        allowed = max(GROWTH_MB, GROWTH_SHARE * first[name])
        assert growth <= allowed, f"{name} grew {growth:.0f} MB in a minute ({run.table()})"
