"""The front door's own CPU per request, before/after, both served side by side.

Each variant's front door (`containers/harness/frontdoor.py`, cheroot) serves a trivial
echo app in a process of its own; 1-row POSTs from one keep-alive client per server
alternate between them (A B B A ...), so both see the same machine, and each server's
CPU is read from /proc. The app costs next to nothing: what is measured is cheroot and
what inferline puts around it.

    .venv/bin/python benchmarks/perf_door_cpu.py --before REV PATH... [--rounds 3]
        [--requests 3000]

"before" is this checkout's tree with PATHs as they were at REV (perf_hop.before_tree).
Results go in docs/benchmarks.md, "The front door's socket files".
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.perf_hop import before_tree, process_cpu  # noqa: E402
from inferline.containers.harness import ports  # noqa: E402

BODY = b"M,0.44,0.365,0.125,0.516,0.2155,0.114,0.155"
HEADERS = {"Content-Type": "text/csv", "Accept": "text/csv"}
WARM_REQUESTS = 300
# The server process: the front door in front of an echo app, "ready" once it listens.
SERVER = """
import sys, threading
from inferline.containers.harness import frontdoor

def echo(environ, start_response):
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/csv"), ("Content-Length", str(len(body)))])
    return [body]

door = frontdoor.start(echo, "127.0.0.1", int(sys.argv[1]))
print("ready", flush=True)
sys.stdin.read()  # until the benchmark closes it
door.stop()
"""


def start(tree: Path | None) -> tuple[subprocess.Popen[bytes], urllib3.HTTPConnectionPool]:
    port = ports.allocate().port
    environ = dict(os.environ)
    if tree is not None:
        environ["PYTHONPATH"] = str(tree)
    process = subprocess.Popen(
        [sys.executable, "-c", SERVER, str(port)],
        env=environ,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    assert process.stdout is not None
    if process.stdout.readline().strip() != b"ready":
        raise SystemExit("a front door did not start")
    return process, urllib3.HTTPConnectionPool("127.0.0.1", port, retries=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", metavar=("REV", "PATH"), required=True)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=3000)
    args = parser.parse_args()
    revision, *paths = args.before
    cpu: dict[str, list[float]] = {"before": [], "after": []}
    p50: dict[str, list[float]] = {"before": [], "after": []}
    with tempfile.TemporaryDirectory(prefix="inferline-perf-door-") as work:
        servers = {
            "before": start(before_tree(Path(work), revision, paths)),
            "after": start(None),
        }
        try:
            for _, pool in servers.values():
                for _ in range(WARM_REQUESTS):
                    assert pool.urlopen("POST", "/", body=BODY, headers=HEADERS).data == BODY
            order = list(servers.items())
            for _ in range(args.rounds):
                started = {name: process_cpu(process.pid) for name, (process, _) in order}
                times: dict[str, list[float]] = {name: [] for name in servers}
                for index in range(args.requests):
                    for name, (_, pool) in order if index % 2 else reversed(order):
                        begun = time.perf_counter()
                        pool.urlopen("POST", "/", body=BODY, headers=HEADERS)
                        times[name].append(time.perf_counter() - begun)
                for name, (process, _) in order:
                    used = process_cpu(process.pid) - started[name]
                    cpu[name].append(used / args.requests * 1e6)
                    p50[name].append(statistics.median(times[name]) * 1e6)
        finally:
            for process, _ in servers.values():
                assert process.stdin is not None
                process.stdin.close()
                process.wait(30)
    print(f"before: {revision} {' '.join(paths)}; load average {os.getloadavg()[0]:.1f} at the end")
    print("| variant | CPU µs per request (rounds) | p50 µs (rounds) |")
    print("|---|---|---|")
    for name in cpu:
        rounds = ", ".join(f"{value:.0f}" for value in cpu[name])
        latency = ", ".join(f"{value:.0f}" for value in p50[name])
        print(f"| {name} | {rounds} | {latency} |")
    ratios = ", ".join(f"{a / b:.2f}" for a, b in zip(cpu["after"], cpu["before"], strict=True))
    print(f"after / before CPU per round: {ratios}")


if __name__ == "__main__":
    main()
