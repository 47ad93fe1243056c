"""Serving benchmark: gunicorn gthread vs sync workers for one sklearn stage.

Fits the abalone featurizer, serves it with each worker class (2 workers, as on a
2-core instance), and measures, side by side in one run:
- a 1-row CSV request over one keep-alive session (how a pipeline hop calls),
- a 1-row request on a new connection each time,
- /ping latency while two slow 10,000-row requests keep both workers busy,
- a 10,000-row CSV request.

    .venv/bin/python benchmarks/serving.py [--requests 500]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from inferline.containers.harness import lifecycle, ports  # noqa: E402
from inferline.stages.sklearn import artifact  # noqa: E402
from inferline.training import data  # noqa: E402
from inferline.training.sklearn_abalone_featurizer import featurizer  # noqa: E402

HEADERS = {"Content-Type": "text/csv", "Accept": "text/csv"}
SAMPLE = "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155"
READY_SECONDS = 60.0


def serve(model_dir: Path, log: Path, env: dict[str, str]) -> lifecycle.ServerProcess:
    """`inferline serve` on a free loopback port, once its /ping answers 200."""
    port = ports.allocate().port
    command = [sys.executable, "-m", "inferline.containers", "serve", "--model-dir",
               str(model_dir), "--host", "127.0.0.1", "--port", str(port)]  # fmt: skip
    server = lifecycle.start(
        command, url=f"http://127.0.0.1:{port}", log_path=log, env={**os.environ, **env}
    )
    try:
        server.wait_ready(READY_SECONDS)
    except BaseException:
        server.stop()
        raise
    return server


def median_us(samples: list[float]) -> float:
    return statistics.median(samples) * 1e6


def timed(call) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def measure(url: str, requests_count: int, big_body: str) -> dict[str, float]:
    session = requests.Session()

    def post_one() -> None:
        session.post(url + "/invocations", data=SAMPLE, headers=HEADERS).raise_for_status()

    for _ in range(20):
        post_one()
    keep_alive = [timed(post_one) for _ in range(requests_count)]
    fresh = [
        timed(
            lambda: requests.post(
                url + "/invocations", data=SAMPLE, headers=HEADERS
            ).raise_for_status()
        )
        for _ in range(requests_count // 2)
    ]
    big = [
        timed(
            lambda: session.post(
                url + "/invocations", data=big_body, headers=HEADERS
            ).raise_for_status()
        )
        for _ in range(5)
    ]
    busy = threading.Event()

    def load() -> None:
        with requests.Session() as loader:
            while not busy.is_set():
                loader.post(url + "/invocations", data=big_body, headers=HEADERS)

    loaders = [threading.Thread(target=load) for _ in range(2)]
    for thread in loaders:
        thread.start()
    time.sleep(0.5)  # benchmark only: let the load saturate the workers
    pings = [
        timed(lambda: requests.get(url + "/ping", timeout=30).raise_for_status()) for _ in range(30)
    ]
    busy.set()
    for thread in loaders:
        thread.join()
    return {
        "1 row, keep-alive (µs)": median_us(keep_alive),
        "1 row, new connection (µs)": median_us(fresh),
        "10,000 rows (ms)": median_us(big) / 1000,
        "/ping under load (ms)": median_us(pings) / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inferline-bench-"))
    features = data.abalone()[list(data.ABALONE_FEATURES)]
    artifact.save(featurizer().fit(features), work / "model")
    big_body = features.sample(10_000, replace=True, random_state=0).to_csv(
        header=False, index=False
    )
    results: dict[str, dict[str, float]] = {}
    for worker_class in ("gthread", "sync"):
        env = {"INFERLINE_WORKER_CLASS": worker_class, "SAGEMAKER_MODEL_SERVER_WORKERS": "2"}
        if worker_class == "sync":  # more threads would mean the threaded worker, as in gunicorn
            env["INFERLINE_WORKER_THREADS"] = "1"
        server = serve(work / "model", work / f"{worker_class}.log", env)
        try:
            results[worker_class] = measure(server.url, args.requests, big_body)
        finally:
            server.stop()
    python = platform.python_version()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}, Python {python}")
    print("| measure (median) | gthread | sync | sync / gthread |")
    print("| --- | --- | --- | --- |")
    for name in results["gthread"]:
        threaded, sync = results["gthread"][name], results["sync"][name]
        print(f"| {name} | {threaded:,.0f} | {sync:,.0f} | {sync / threaded:.2f} |")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return subprocess.run(["uname", "-p"], capture_output=True, text=True).stdout.strip()


if __name__ == "__main__":
    main()
