"""Harness benchmark: what one pipeline hop costs, and which HTTP client to hop with.

Serves a tiny sklearn transformer (adds 1 to a one-column CSV) and measures, in one run:
- the same 1-row request straight to one container with urllib3, requests and httpx
  keep-alive clients (the client's own cost per hop);
- the harness's InvokeEndpoint (HTTP in, then 1, 2, 4 and 8 containers): the slope is the
  cost of one more hop, and OverheadLatency = total - ModelLatency is the harness's share.

    .venv/bin/python benchmarks/harness.py [--requests 300]

Results go in docs/benchmarks.md, section "Harness".
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import joblib
import requests
import urllib3
from sklearn.preprocessing import StandardScaler

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.timing import median_us  # noqa: E402
from inferline.containers.core import definition, protocol  # noqa: E402
from inferline.containers.harness import LocalEndpoint  # noqa: E402
from inferline.containers.harness.client import parse_latencies  # noqa: E402

HEADERS = {"Content-Type": "text/csv", "Accept": "text/csv"}
CHAIN_LENGTHS = (1, 2, 4, 8)


def model_dir(root: Path) -> Path:
    path = root / "plus-one"
    path.mkdir()
    joblib.dump(StandardScaler(with_std=False).fit([[-1.0]]), path / "model.joblib")
    return path


def chain(path: Path, count: int) -> definition.EndpointSpec:
    container = {
        "Image": "inferline-sklearn",
        "ModelDataUrl": str(path),
        "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
    }
    return definition.parse({"ModelName": f"chain-{count}", "Containers": [container] * count})


def clients(url: str, count: int) -> dict[str, float]:
    """Median µs of one hop to one container, per keep-alive client."""
    host, port = url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=4, retries=False)
    session = requests.Session()
    path = "/invocations"
    calls: dict[str, Callable[[], object]] = {
        "urllib3 pool": lambda: pool.urlopen("POST", path, body=b"1", headers=HEADERS).data,
        "requests.Session": lambda: session.post(url + path, data=b"1", headers=HEADERS).content,
    }
    try:  # not a dependency of inferline: measured where it is installed
        import httpx
    except ModuleNotFoundError:
        print("(httpx is not installed: its row is left out)", file=sys.stderr)
    else:
        client = httpx.Client(base_url=url)
        calls["httpx.Client"] = lambda: client.post(path, content=b"1", headers=HEADERS).content
    return {name: median_us(call, count) for name, call in calls.items()}


def through_harness(endpoint: LocalEndpoint, count: int) -> tuple[float, float, float]:
    """Median µs of InvokeEndpoint over HTTP; the client-seen and the harness's mean overhead.

    Client-seen overhead is total minus the containers' time (it includes the client and the
    HTTP server); OverheadLatency from /metrics is the harness's own time between the hops.
    """
    session = requests.Session()
    url = f"{endpoint.url}/endpoints/{endpoint.name}/invocations"
    overheads: list[float] = []

    def call() -> None:
        started = time.perf_counter_ns()
        response = session.post(url, data=b"1", headers=HEADERS)
        total = (time.perf_counter_ns() - started) / 1000
        latencies = parse_latencies(response.headers[protocol.CONTAINER_LATENCIES])
        overheads.append(total - sum(latencies.values()))

    median = median_us(call, count)
    summary = endpoint.metrics.overhead_latency.labels(endpoint.name, "AllTraffic")
    samples = {sample.name: sample.value for sample in summary.collect()[0].samples}
    internal = samples["OverheadLatency_sum"] / samples["OverheadLatency_count"]
    return median, statistics.median(overheads[20:]), internal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="inferline-bench-"))
    path = model_dir(root)
    print(
        f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {args.requests} requests each, medians"
    )
    with LocalEndpoint(chain(path, 1)) as one:
        container_url = one.endpoint.deployment.containers[0].url
        print("\n| client, one hop to one container | median µs |\n|---|---|")
        for name, micros in clients(container_url, args.requests).items():
            print(f"| {name} | {micros:.0f} |")
    print(
        "\n| containers | InvokeEndpoint median µs | per extra hop µs "
        "| total - ModelLatency, client-seen µs | OverheadLatency (harness) mean µs |"
    )
    print("|---|---|---|---|---|")
    previous: tuple[int, float] | None = None
    for count in CHAIN_LENGTHS:
        with LocalEndpoint(chain(path, count)) as endpoint:
            total, overhead, internal = through_harness(endpoint, args.requests)
        slope = "" if previous is None else f"{(total - previous[1]) / (count - previous[0]):.0f}"
        print(f"| {count} | {total:.0f} | {slope} | {overhead:.0f} | {internal:.0f} |")
        previous = (count, total)


if __name__ == "__main__":
    main()
