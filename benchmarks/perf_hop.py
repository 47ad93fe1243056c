"""What one hop costs under each gunicorn worker setting, and through the harness.

Starts the plus-one container (benchmarks/harness.py's model) under several worker
settings, interleaved over rounds, and measures one-row p50 µs with a keep-alive
urllib3 client:
- straight to the container (the cost of a hop: gunicorn, the app, the stage);
- through the harness with 1 and 3 such containers (the slope is the added hop).

    .venv/bin/python benchmarks/perf_hop.py [--rounds 3] [--requests 300]

Results go in docs/benchmarks.md, section "Performance work".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import HEADERS, median_us, model_dir  # noqa: E402
from inferline.containers.core import definition  # noqa: E402
from inferline.containers.harness import LocalEndpoint  # noqa: E402

VARIANTS = {
    "gthread, 1 worker, 4 threads (test default)": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
    "gthread, 2 workers, 4 threads (2-core default)": {"SAGEMAKER_MODEL_SERVER_WORKERS": "2"},
    "gthread, 1 worker, 1 thread": {
        "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
        "INFERLINE_WORKER_THREADS": "1",
    },
    "sync, 1 worker": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", "INFERLINE_WORKER_CLASS": "sync"},
}


def spec(path: Path, count: int, environment: dict[str, str]) -> definition.EndpointSpec:
    container = {
        "Image": "inferline-sklearn",
        "ModelDataUrl": str(path),
        "Environment": environment,
    }
    return definition.parse({"ModelName": f"hop-{count}", "Containers": [container] * count})


def p50(url: str, route: str, count: int) -> float:
    host, port = url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=2, retries=False)
    try:
        return median_us(
            lambda: pool.urlopen("POST", route, body=b"1", headers=HEADERS).data, count
        )
    finally:
        pool.close()


def measure(path: Path, environment: dict[str, str], count: int) -> dict[str, float]:
    figures: dict[str, float] = {}
    for length in (1, 3):
        with LocalEndpoint(spec(path, length, environment)) as endpoint:
            route = f"/endpoints/hop-{length}/invocations"
            figures[f"harness, {length}"] = p50(endpoint.url, route, count)
            if length == 1:
                container = endpoint.endpoint.deployment.containers[0]
                figures["direct"] = p50(container.url, "/invocations", count)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    results: dict[str, list[dict[str, float]]] = {name: [] for name in VARIANTS}
    with tempfile.TemporaryDirectory() as root:
        path = model_dir(Path(root))
        for _ in range(args.rounds):
            for name, environment in VARIANTS.items():
                results[name].append(measure(path, environment, args.requests))
    print(
        "| worker setting | straight to the container | harness, 1 | harness, 3 | per added hop |"
    )
    print("|---|---|---|---|---|")
    for name, rounds in results.items():
        direct, one, three = (
            statistics.median(figures[key] for figures in rounds)
            for key in (
                "straight to the container",
                "harness, 1 container(s)",
                "harness, 3 container(s)",
            )
        )
        print(f"| {name} | {direct:.0f} | {one:.0f} | {three:.0f} | {(three - one) / 2:.0f} |")


if __name__ == "__main__":
    main()
