"""The front door's threads: the pipeline's one-row p50 with and without `DirectConnections`.

    .venv/bin/python benchmarks/perf_door_threads.py [--rounds 4] [--requests 1500]

Starts the three-container abalone pipeline twice through `inferline up` (as `make
bench` does): once as it is, its front door's requests answered by the threads they wake
(`containers/harness/doorthreads.py`), once with cheroot's own connection manager
(a selector thread handing each ready connection to its pool), by a wrapper that turns
`doorthreads.available` off before running the CLI. Sequential keep-alive one-row
requests, the two alternating round by round; prints each round's p50.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import tempfile
from pathlib import Path

import abalone_artifacts
import targets
import workloads

CHEROOTS = """import sys
from inferline.containers.harness import doorthreads
doorthreads.available = lambda: False  # cheroot's ConnectionManager and its pool
from inferline.containers.cli import main
sys.exit(main())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="inferline-door-threads-"))
    wrapper = work / "cheroots_manager.py"
    wrapper.write_text(CHEROOTS)
    artifacts = abalone_artifacts.build(work)
    rows = artifacts.rows.sample(1, replace=True, random_state=0)
    pipeline = targets.inferline_targets(artifacts, work)[0]

    def with_cheroots_manager(port: int) -> list[str]:
        return [sys.executable, str(wrapper), *pipeline.command(port)[1:]]

    variants = {
        "cheroot's manager and pool": dataclasses.replace(pipeline, command=with_cheroots_manager),
        "DirectConnections (as it is)": pipeline,
    }
    logs = work / "logs"
    logs.mkdir()
    running = {name: target.start(logs, rows) for name, target in variants.items()}
    try:
        body = pipeline.body(rows)
        p50s: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, run in running.items():
                result = workloads.sequential(
                    run.url, pipeline.invoke, body, pipeline.headers, args.requests, warmup=100
                )
                p50s[name].append(statistics.median(result.latencies) * 1e3)
        for name, values in p50s.items():
            rounds = ", ".join(f"{value:.2f}" for value in values)
            print(f"{name}: 1 row p50 {statistics.median(values):.2f} ms (rounds {rounds})")
    finally:
        for run in running.values():
            run.stop()


if __name__ == "__main__":
    sys.exit(main())
