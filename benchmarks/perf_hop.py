"""What one pipeline hop costs: wall time and CPU per request, before/after, interleaved.

Chains of the plus-one container (benchmarks/harness.py's model, one gunicorn worker each)
behind `LocalEndpoint`, 1-row requests from a keep-alive client, for each variant in turn
and over rounds (A B C A B C ...). A variant is a worker setting and, optionally, the code
of some files at another commit (`--before REV PATH...`: the checkout's tree with those
files as they were at REV, on PYTHONPATH), so a change is measured against what it
replaced in the same run. Each measurement runs in its own process and reports:
- p50 µs straight to the one container of the 1-length chain, and its CPU per call;
- p50 µs of InvokeEndpoint for each chain length, and the slope: the cost of one more hop;
- CPU µs per request of the harness process and of the containers (every process of
  theirs, from /proc), and its slope too: the CPU one more hop costs on each side, the
  less noisy figure on a shared machine.

    .venv/bin/python benchmarks/perf_hop.py [--rounds 3] [--requests 300] [--lengths 1 4]
        [--before 6db19c4^ containers/server.py containers/app.py containers/harness/hops.py]

Results go in docs/benchmarks.md, "Per hop".
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from processes import cpu_seconds, descendants

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"containers": "containers", "stages": "stages", "training": "training"}

# name -> the containers' environment (this checkout's code)
AFTER_VARIANTS: dict[str, dict[str, str]] = {
    "after: gthread (containers/worker.py)": {},
    "after, with gunicorn's own gthread": {"INFERLINE_WORKER_CLASS": "gunicorn-gthread"},
}


def before_tree(work: Path, revision: str, paths: list[str]) -> Path:
    """An `inferline` package: this checkout's code with `paths` as they were at `revision`."""
    tree = work / "before"
    for package, folder in PACKAGES.items():
        shutil.copytree(
            ROOT / folder,
            tree / "inferline" / package,
            ignore=shutil.ignore_patterns("__pycache__"),
        )
    for path in paths:
        top, _, rest = path.partition("/")
        target = tree / "inferline" / PACKAGES[top] / rest
        shown = subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{revision}:{path}"], capture_output=True, check=False
        )
        if shown.returncode == 0:
            target.write_bytes(shown.stdout)
        else:  # not there at `revision`: not in the tree either
            target.unlink(missing_ok=True)
    return tree


def process_cpu(pid: int) -> float:
    """User + system seconds of `pid` and every process below it."""
    return sum(sum(cpu_seconds(each)) for each in (pid, *descendants(pid)))


def measure(lengths: list[int], requests: int, environment: dict[str, str]) -> dict[str, Any]:
    """In this process: each chain length's p50 and CPU per request (runs in the child)."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.harness import model_dir
    from inferline.containers.core import definition
    from inferline.containers.harness import LocalEndpoint

    figures: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as root:
        path = model_dir(Path(root))
        for length in lengths:
            container = {
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(path),
                "Environment": {"SAGEMAKER_MODEL_SERVER_WORKERS": "1", **environment},
            }
            document = {"ModelName": f"hop-{length}", "Containers": [container] * length}
            with LocalEndpoint(definition.parse(document)) as endpoint:
                figures[str(length)] = time_chain(endpoint, requests)
                if length == 1:
                    figures["direct"] = time_direct(endpoint, requests)
    return figures


def time_direct(endpoint: Any, requests: int) -> dict[str, float]:
    """The same calls straight to the one container (no harness): p50 and its CPU per call."""
    import urllib3

    from benchmarks.harness import HEADERS

    container = endpoint.endpoint.deployment.containers[0]
    host, port = container.url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=1, retries=False)

    def call() -> bytes:
        return pool.urlopen("POST", "/invocations", body=b"1", headers=HEADERS).data

    for _ in range(30):
        call()
    before = process_cpu(container.process.pid)
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    cpu = process_cpu(container.process.pid) - before
    pool.close()
    return {"p50": statistics.median(samples) * 1e6, "containers_cpu": cpu / requests * 1e6}


def time_chain(endpoint: Any, requests: int) -> dict[str, float]:
    """p50 µs of 1-row InvokeEndpoint calls, and CPU µs per call of harness and containers."""
    import urllib3

    from benchmarks.harness import HEADERS

    host, port = endpoint.url.removeprefix("http://").split(":")
    pool = urllib3.HTTPConnectionPool(host, int(port), maxsize=1, retries=False)
    route = f"/endpoints/{endpoint.name}/invocations"

    def call() -> bytes:
        return pool.urlopen("POST", route, body=b"1", headers=HEADERS).data

    containers = endpoint.endpoint.deployment.containers
    hops = len(containers)
    assert float(call()) == 1 + hops, call()  # 1, plus one per container
    for _ in range(30):  # warm connections and stages
        call()
    pids = [container.process.pid for container in containers]
    containers_before = sum(process_cpu(pid) for pid in pids)
    harness_before = time.process_time()
    samples = []
    for _ in range(requests):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    # process_time holds the client's and front door's CPU too: the slope over chain
    # lengths (the added hop's share) leaves them out
    harness_cpu = time.process_time() - harness_before
    containers_cpu = sum(process_cpu(pid) for pid in pids) - containers_before
    pool.close()
    return {
        "p50": statistics.median(samples) * 1e6,
        "harness_cpu": harness_cpu / requests * 1e6,
        "containers_cpu": containers_cpu / requests * 1e6,
    }


def run_child(args: argparse.Namespace, environment: dict[str, str], tree: Path | None) -> Any:
    command = [
        sys.executable,
        __file__,
        "--child",
        json.dumps(environment),
        "--requests",
        str(args.requests),
        "--lengths",
        *map(str, args.lengths),
    ]
    env = dict(os.environ)
    if tree is not None:
        env["PYTHONPATH"] = str(tree)
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"a measurement failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def slope(lengths: list[int], values: list[float]) -> float:
    mean_x, mean_y = statistics.fmean(lengths), statistics.fmean(values)
    num = sum((x - mean_x) * (y - mean_y) for x, y in zip(lengths, values, strict=True))
    return num / sum((x - mean_x) ** 2 for x in lengths)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--lengths", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--before", nargs="+", metavar=("REV", "PATH"), default=None)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if len(set(args.lengths)) < 2:  # the per-hop figure is a slope over the lengths
        parser.error("--lengths needs at least two different chain lengths, such as 1 4")
    if args.child is not None:
        print(json.dumps(measure(args.lengths, args.requests, json.loads(args.child))))
        return
    with tempfile.TemporaryDirectory(prefix="inferline-perf-hop-") as work:
        variants: dict[str, tuple[dict[str, str], Path | None]] = {
            name: (environment, None) for name, environment in AFTER_VARIANTS.items()
        }
        if args.before:
            revision, *paths = args.before
            tree = before_tree(Path(work), revision, paths)
            variants = {f"before ({revision}: {', '.join(paths)})": ({}, tree), **variants}
        results: dict[str, list[Any]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (environment, code) in variants.items():
                results[name].append(run_child(args, environment, code))
    report(args.lengths, results)


def report(lengths: list[int], results: dict[str, list[Any]]) -> None:
    keys = [str(length) for length in lengths]
    print(
        "| variant | straight to 1 container: p50 µs / its CPU µs | "
        + " | ".join(f"{key} container(s) p50 µs" for key in keys)
        + " | per added hop µs | CPU µs per added hop: harness / containers |"
    )
    print("|---|---|" + "---|" * (len(keys) + 2))
    for name, rounds in results.items():
        p50s = [statistics.median(r[key]["p50"] for r in rounds) for key in keys]
        per_hop = [slope(lengths, [r[key]["p50"] for key in keys]) for r in rounds]
        harness = statistics.median(
            slope(lengths, [r[key]["harness_cpu"] for key in keys]) for r in rounds
        )
        containers = statistics.median(
            slope(lengths, [r[key]["containers_cpu"] for key in keys]) for r in rounds
        )
        cells = " | ".join(f"{value:.0f}" for value in p50s)
        spread = f"{statistics.median(per_hop):.0f} ({min(per_hop):.0f}-{max(per_hop):.0f})"
        direct = "n/a"
        if all("direct" in r for r in rounds):
            direct_p50 = statistics.median(r["direct"]["p50"] for r in rounds)
            direct_cpu = statistics.median(r["direct"]["containers_cpu"] for r in rounds)
            direct = f"{direct_p50:.0f} / {direct_cpu:.0f}"
        print(f"| {name} | {direct} | {cells} | {spread} | {harness:.0f} / {containers:.0f} |")


if __name__ == "__main__":
    main()
