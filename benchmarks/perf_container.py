"""A serving container's CPU per request, before/after, both served side by side.

`perf_hop.py` measures its variants one after another; on a shared machine the load
between them moved CPU per request by 20 % with the same code on both sides. Here every
variant's `inferline serve` (one gunicorn worker) runs at once and 1-row requests from
one keep-alive client per server alternate between them (A B B A A B ...), so each
variant sees the same machine; CPU is read from /proc for each server's processes.
Two stages: the plus-one sklearn transformer (benchmarks/harness.py's model; inferline's
own stage, run without Flask's request context) and the abalone postprocess inference
script (benchmarks/peers/abalone_postprocess.py; run inside Flask's request context).

    .venv/bin/python benchmarks/perf_container.py --before REV PATH... [--rounds 5]
        [--requests 3000] [--stages sklearn script]

"before" is this checkout's tree with PATHs as they were at REV (perf_hop.before_tree).
Results go in docs/benchmarks.md, "Per hop".
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import urllib3

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.harness import model_dir  # noqa: E402
from benchmarks.perf_hop import before_tree, process_cpu  # noqa: E402
from inferline.containers.harness import ports  # noqa: E402

WARM_REQUESTS = 200
READY_SECONDS = 60.0


@dataclass(frozen=True)
class Stage:
    """A model directory, its environment and the one request sent to it."""

    model: Path
    environment: dict[str, str]
    body: bytes
    headers: dict[str, str]


def stages(work: Path) -> dict[str, Stage]:
    script = work / "postprocess"
    (script / "code").mkdir(parents=True)
    shutil.copy(ROOT / "benchmarks" / "peers" / "abalone_postprocess.py", script / "code")
    return {
        "sklearn": Stage(
            model_dir(work), {}, b"1", {"Content-Type": "text/csv", "Accept": "text/csv"}
        ),
        "script": Stage(
            script,
            {"SAGEMAKER_PROGRAM": "abalone_postprocess.py"},
            b'{"predictions": [{"score": 9.25}]}',
            {"Content-Type": "application/json", "Accept": "text/csv"},
        ),
    }


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    pool: urllib3.HTTPConnectionPool


def start(stage: Stage, tree: Path | None) -> Server:
    port = ports.allocate().port
    environ = {
        k: v for k, v in os.environ.items() if not k.startswith(("SAGEMAKER_", "INFERLINE_"))
    }
    environ.update({"SAGEMAKER_MODEL_SERVER_WORKERS": "1", **stage.environment})
    if tree is not None:
        environ["PYTHONPATH"] = str(tree)
    command = [sys.executable, "-m", "inferline.containers", "serve"]
    command += ["--model-dir", str(stage.model), "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen(
        command, env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return Server(process, urllib3.HTTPConnectionPool("127.0.0.1", port, retries=False))


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while True:
        try:
            if server.pool.urlopen("GET", "/ping").status == 200:
                return
        except urllib3.exceptions.HTTPError:
            pass
        if time.monotonic() > deadline or server.process.poll() is not None:
            raise SystemExit("a server did not start")
        time.sleep(0.05)


def measure(stage: Stage, trees: dict[str, Path | None], requests: int) -> dict[str, float]:
    """CPU µs per request of each variant's server, the requests alternating."""
    servers = {name: start(stage, tree) for name, tree in trees.items()}
    try:
        answers = set()
        for server in servers.values():
            wait_ready(server)
            for _ in range(WARM_REQUESTS):
                answer = server.pool.urlopen(
                    "POST", "/invocations", body=stage.body, headers=stage.headers
                )
            answers.add((answer.status, answer.data))
        assert len(answers) == 1, answers  # every variant answers the same
        before = {name: process_cpu(server.process.pid) for name, server in servers.items()}
        order = list(servers.values())
        for index in range(requests):
            for server in order if index % 2 else reversed(order):
                server.pool.urlopen("POST", "/invocations", body=stage.body, headers=stage.headers)
        return {
            name: (process_cpu(server.process.pid) - before[name]) / requests * 1e6
            for name, server in servers.items()
        }
    finally:
        for server in servers.values():
            server.process.terminate()
        for server in servers.values():
            server.process.wait(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", nargs="+", metavar=("REV", "PATH"), required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--stages", nargs="+", default=["sklearn", "script"])
    args = parser.parse_args()
    revision, *paths = args.before
    with tempfile.TemporaryDirectory(prefix="inferline-perf-container-") as work:
        trees = {"before": before_tree(Path(work), revision, paths), "after": None}
        known = stages(Path(work))
        cpu: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.rounds):
            for kind in args.stages:
                for name, value in measure(known[kind], trees, args.requests).items():
                    cpu.setdefault(kind, {}).setdefault(name, []).append(value)
    print(f"before: {revision} {' '.join(paths)}; load average {os.getloadavg()[0]:.1f} at the end")
    print("| stage | before CPU µs per request | after | after / before (per round) |")
    print("|---|---|---|---|")
    for kind, variants in cpu.items():
        ratios = [a / b for a, b in zip(variants["after"], variants["before"], strict=True)]
        cells = [
            f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
            for values in (variants["before"], variants["after"])
        ]
        spread = f"{statistics.median(ratios):.2f} ({min(ratios):.2f}-{max(ratios):.2f})"
        print(f"| {kind} | {cells[0]} | {cells[1]} | {spread} |")


if __name__ == "__main__":
    main()
