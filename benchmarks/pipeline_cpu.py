"""Where a pipeline request's CPU goes: each process of `inferline up`, per request.

    .venv/bin/python benchmarks/pipeline_cpu.py [--requests 2000] [--rounds 3] [--rows 1]
        [--featurizer script|stage]

Starts the three-container abalone pipeline (featurizer script -> linear-learner ->
postprocess script, as `make bench` does; with ``--featurizer stage``, inferline's own
sklearn stage serves the same fitted featurizer, no script, answering CSV), sends
sequential keep-alive requests of `--rows` rows, and reads the user and system CPU of
the harness and of every container process from /proc/<pid>/stat around each round.
With both featurizers, their rounds alternate. On 2 cores a sequential pipeline is
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
    parser.add_argument(
        "--featurizer",
        nargs="+",
        choices=("script", "stage"),
        default=["script"],
        help="the first container; with both, their rounds alternate",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inferline-cpu-"))
    artifacts = abalone_artifacts.build(work)
    variants = {
        "script": artifacts,
        "stage": abalone_artifacts.with_stage_featurizer(artifacts, work),
    }
    rows = artifacts.rows.sample(args.rows, replace=True, random_state=0)
    logs = work / "logs"
    logs.mkdir()
    started: list[tuple[str, targets.Target, targets.Running]] = []
    try:
        for featurizer in dict.fromkeys(args.featurizer):
            pipeline = targets.inferline_targets(variants[featurizer], work)[0]
            started.append((featurizer, pipeline, pipeline.start(logs, rows)))
        print(f"load average {os.getloadavg()[0]:.2f}; {args.rows} row(s) a request", flush=True)
        for round_index in range(args.rounds):
            for featurizer, pipeline, running in started:
                print(f"round {round_index + 1}, {featurizer} featurizer: ", end="")
                measure(pipeline, running, pipeline.body(rows), args.requests, args.rows)
    finally:
        for _, _, running in started:
            running.stop()


def measure(
    pipeline: targets.Target, running: targets.Running, body: bytes, requests: int, rows: int
) -> None:
    """One round of sequential requests, and each process's CPU per request."""
    processes = [running.process.pid, *descendants(running.process.pid)]
    before = {pid: cpu_seconds(pid) for pid in processes}
    run = workloads.sequential(running.url, pipeline.invoke, body, pipeline.headers, requests, 0)
    p50 = statistics.median(run.latencies)
    print(f"p50 {p50 * 1e3:.2f} ms ({rows / p50:,.0f} rows/s)")
    total = 0.0
    for pid in processes:
        user, system = (a - b for a, b in zip(cpu_seconds(pid), before[pid], strict=True))
        if user + system < 0.005:
            continue  # a master or an idle worker
        total += user + system
        per = 1e6 / requests
        print(f"  {name(pid):28} {user * per:7.0f} user + {system * per:5.0f} sys µs")
    print(f"  {'all':28} {total * 1e6 / requests:7.0f} µs CPU per request", flush=True)


if __name__ == "__main__":
    sys.exit(main())
