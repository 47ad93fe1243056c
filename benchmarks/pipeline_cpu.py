"""Where a pipeline request's CPU goes: each process of `inferline up`, per request.

    .venv/bin/python benchmarks/pipeline_cpu.py [--requests 2000] [--rounds 3] [--rows 1]

Starts the three-container abalone pipeline (featurizer script -> linear-learner ->
postprocess script, as `make bench` does), sends sequential keep-alive requests of
`--rows` rows, and reads the user and system CPU of the harness and of every container
process from /proc/<pid>/stat around each round. On 2 cores a sequential pipeline is
CPU-bound (its CPU per request is its wall time), so this table says where to cut.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

import abalone_artifacts
import targets
import workloads
from processes import cpu_seconds, descendants


def name(pid: int) -> str:
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    text = " ".join(part.decode(errors="replace") for part in argv if part)
    if " up " in f" {text} ":
        return "harness (inferline up)"
    if "--model-dir" in text:
        return Path(text.split("--model-dir", 1)[1].split()[0]).parts[
            -2 if "tar.gz" in text else -1
        ]
    return text[:40]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rows", type=int, default=1)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inferline-cpu-"))
    artifacts = abalone_artifacts.build(work)
    rows = artifacts.rows.sample(args.rows, replace=True, random_state=0)
    pipeline = targets.inferline_targets(artifacts, work)[0]
    logs = work / "logs"
    logs.mkdir()
    running = pipeline.start(logs, rows)
    try:
        body = pipeline.body(rows)
        print(f"load average {os.getloadavg()[0]:.2f}; {args.rows} row(s) a request", flush=True)
        for round_index in range(args.rounds):
            processes = [running.process.pid, *descendants(running.process.pid)]
            before = {pid: cpu_seconds(pid) for pid in processes}
            run = workloads.sequential(
                running.url, pipeline.invoke, body, pipeline.headers, args.requests, warmup=0
            )
            print(f"round {round_index + 1}: p50 {statistics.median(run.latencies) * 1e3:.2f} ms")
            total = 0.0
            for pid in processes:
                user, system = (a - b for a, b in zip(cpu_seconds(pid), before[pid], strict=True))
                if user + system < 0.005:
                    continue  # a master or an idle worker
                total += user + system
                per = 1e6 / args.requests
                print(f"  {name(pid):28} {user * per:7.0f} user + {system * per:5.0f} sys µs")
            print(f"  {'all':28} {total * 1e6 / args.requests:7.0f} µs CPU per request")
    finally:
        running.stop()


if __name__ == "__main__":
    sys.exit(main())
