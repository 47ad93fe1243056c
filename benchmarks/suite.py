"""The speed suite (issue 14): inferline, its peers and the floor, side by side in one run.

    .venv/bin/python benchmarks/suite.py [--quick] [--rounds N] [--skip-peers] [--no-write]

Serves the one fitted abalone pipeline (featurizer + RidgeCV) through every target on
127.0.0.1, interleaved (A B C ... A B C ...) for several rounds, each target cold-started
every round after one unmeasured start of each (`warm_up`), and writes its section of
docs/benchmarks.md between its markers:
- inferline: the 3-container pipeline through `inferline up`; the same 3 stages fused
  in-process (`InProcessPipeline`); one sklearn stage (`inferline serve`);
- peers, each in its own venv under ~/.cache/inferline-bench (installed on first use):
  plain Flask + gunicorn, MLflow, BentoML, MLServer, SageMaker's inference toolkit on MMS;
- the floor: scikit-learn's own `predict`, and the same arithmetic in numpy;
- a chain of 1, 2, 4, 8, 15 identity-like containers, for the cost of one hop.
Workloads: 1 row per request, sequential, keep-alive (p50/p99); 8 concurrent wrk
connections (req/s, p50/p99); 1,000 rows per request (rows/s); cold start to /ping and to
the first answer. Every target's answer is checked against scikit-learn's first.
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
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import abalone_artifacts  # noqa: E402
import chain_series  # noqa: E402
import floor  # noqa: E402
import report  # noqa: E402
import suite_doc  # noqa: E402
import targets  # noqa: E402
import workloads  # noqa: E402
from suite_doc import BATCH_ROWS, DOC, FULL, QUICK, Figures, Plan  # noqa: E402

from inferline.containers.core import definition  # noqa: E402
from inferline.containers.pipeline.chain import Request  # noqa: E402
from inferline.containers.pipeline.inprocess import InProcessPipeline  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds, fewer requests")
    parser.add_argument("--rounds", type=int, help="override the number of rounds")
    parser.add_argument("--no-write", action="store_true", help="print, leave the doc alone")
    parser.add_argument("--skip-peers", action="store_true", help="inferline and floor only")
    args = parser.parse_args()
    plan = QUICK if args.quick else FULL
    if args.rounds:
        plan = Plan(args.rounds, plan.requests, plan.seconds, plan.batches, args.rounds)
    started = datetime.now(UTC)
    load_before = os.getloadavg()
    wrk_note = ensure_wrk()
    work = Path(tempfile.mkdtemp(prefix="inferline-suite-"))
    logs = work / "logs"
    logs.mkdir()
    say(f"work folder {work}")
    artifacts = abalone_artifacts.build(work)
    one_row = artifacts.rows.iloc[[0]]
    batch = artifacts.rows.sample(BATCH_ROWS, replace=True, random_state=0)
    expected_one = artifacts.pipeline.predict(one_row)
    expected_batch = artifacts.pipeline.predict(batch)

    servers = targets.inferline_targets(artifacts, work)
    failed: dict[str, str] = {}
    if not args.skip_peers:
        say("peers: installing or reusing their venvs")
        peers, failed = targets.peer_targets(artifacts, work)
        servers += peers
        for name, why in failed.items():
            say(f"peer {name} unavailable: {why}")
    chains = chain_series.chain_targets(work)

    results: dict[str, Figures] = defaultdict(lambda: defaultdict(list))
    connections: dict[str, int] = {}
    in_process = in_process_subjects(artifacts, work, one_row, batch)
    warm_up(servers, logs, one_row, failed)
    for round_index in range(plan.rounds):
        say(f"round {round_index + 1}/{plan.rounds}")
        for server in list(servers):
            if server.name in failed:
                continue
            try:
                figures, opened = measure_server(
                    server, plan, logs, one_row, batch, (expected_one, expected_batch)
                )
            except Exception as error:  # a peer that fails to start is reported, not dropped
                failed[server.name] = f"{type(error).__name__}: {error}"[:400]
                say(f"{server.name} failed: {failed[server.name]}")
                continue
            connections[server.name] = opened
            for figure, value in figures.items():
                results[server.name][figure].append(value)
        for name, subject in in_process.items():
            for figure, value in subject().items():
                results[name][figure].append(value)
    for round_index in range(plan.chain_rounds):
        say(f"chain series, round {round_index + 1}/{plan.chain_rounds}")
        for chain in chains:
            try:
                running = chain.start(logs, chain_series.ONE_ROW)
            except Exception as error:
                failed[chain.name] = f"{type(error).__name__}: {error}"[:400]
                say(f"{chain.name} failed: {failed[chain.name]}")
                continue
            try:
                body = chain.body(chain_series.ONE_ROW)
                run = workloads.sequential(
                    running.url, chain.invoke, body, chain.headers, plan.requests
                )
                results[chain.name]["p50"].append(statistics.median(run.latencies))
                results[chain.name]["cold_answer"].append(running.to_answer)
            finally:
                running.stop()
    load_after = os.getloadavg()
    section = suite_doc.compose(
        plan,
        args,
        servers,
        chains,
        failed,
        results,
        connections,
        started,
        load_before,
        load_after,
        wrk_note,
    )
    shutil.rmtree(work, ignore_errors=True)
    if args.no_write:
        print(section)
    else:
        report.replace_section(DOC, section)
        say(f"wrote {DOC}")


def warm_up(
    servers: list[targets.Target], logs: Path, one_row: pd.DataFrame, failed: dict[str, str]
) -> None:
    """Start and stop each target once, unmeasured, before the rounds.

    The first start after installing (peers' venvs are built or checked just before)
    reads every module from disk; every target gets the same warm page cache, as every
    start but a machine's first has. (At 4b6dd0f most targets' slowest cold start was
    2-5x their others. The warm-up alone left inferline up's first round at 4.9 s, most
    likely for the previous target's processes (MMS's JVM) still exiting: with
    `Running.stop` waiting for them, its rounds at 17f5c07 were 1.42-1.65 s.) A target
    that fails here is tried again, and reported, in round 1.
    """
    for server in servers:
        if server.name in failed:
            continue
        say(f"warm-up start of {server.name}")
        try:
            server.start(logs, one_row).stop()
        except Exception as error:  # reported by the round that fails it again
            say(f"{server.name} warm-up failed: {type(error).__name__}: {error}"[:400])


def say(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def ensure_wrk() -> str:
    """wrk from Debian's packages; installed here (as root) when missing."""
    if workloads.wrk_path():
        return ""
    if os.geteuid() != 0:
        return "wrk is missing and this is not root: the concurrency figures are left out"
    say("wrk is missing: apt-get install -y wrk")
    install = ["apt-get", "install", "-y", "wrk"]
    if subprocess.run(install, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update"], capture_output=True)
        subprocess.run(install, capture_output=True)
    if workloads.wrk_path():
        return "wrk was missing: the suite installed it with `apt-get install -y wrk`"
    return "wrk could not be installed: the concurrency figures are left out"


def measure_server(
    server: targets.Target,
    plan: Plan,
    logs: Path,
    one_row: pd.DataFrame,
    batch: pd.DataFrame,
    expected: tuple[np.ndarray, np.ndarray],
) -> tuple[dict[str, float], int]:
    """One round on one target: cold start, 1 row, 8 connections, 1,000 rows."""
    running = server.start(logs, one_row)
    try:
        url, path, headers = running.url, server.invoke, server.headers
        body, big = server.body(one_row), server.body(batch)
        check_answer(server, url, (body, big), expected)
        single = workloads.sequential(url, path, body, headers, plan.requests)
        figures = {
            "cold_ping": running.to_ping,
            "cold_answer": running.to_answer,
            "p50": statistics.median(single.latencies),
            "p99": float(np.percentile(single.latencies, 99)),
        }
        if workloads.wrk_path():
            busy = workloads.concurrent(url, path, body, headers, plan.seconds)
            figures.update(rps=busy.requests_per_second, c_p50=busy.p50, c_p99=busy.p99)
            if busy.errors:
                say(f"{server.name}: wrk saw {busy.errors} errors")
        rows = workloads.sequential(url, path, big, headers, plan.batches, warmup=2)
        figures["rows_per_s"] = BATCH_ROWS / statistics.median(rows.latencies)
        return figures, single.connections
    finally:
        running.stop()


def check_answer(
    server: targets.Target,
    url: str,
    bodies: tuple[bytes, bytes],
    expected: tuple[np.ndarray, np.ndarray],
) -> None:
    import urllib3

    for body, wanted in zip(bodies, expected, strict=True):
        answer = urllib3.request("POST", url + server.invoke, body=body, headers=server.headers)
        got = np.array(server.scores(answer.data))
        if got.shape != wanted.shape or not np.allclose(got, wanted, rtol=0, atol=1e-9):
            raise AssertionError(f"{server.name} answers {got[:3]}, scikit-learn {wanted[:3]}")


def in_process_subjects(
    artifacts: abalone_artifacts.Artifacts, work: Path, one_row: pd.DataFrame, batch: pd.DataFrame
) -> dict[str, Callable[[], dict[str, float]]]:
    """No HTTP: each callable measures one round (1 row p50/p99 and rows/s at 1,000 rows)."""
    columns = abalone_artifacts.COLUMNS
    pipeline = artifacts.pipeline
    numpy_floor = floor.NumpyAbalone(pipeline, columns)
    one_csv, batch_csv = abalone_artifacts.csv_rows(one_row), abalone_artifacts.csv_rows(batch)
    for body in (one_csv, batch_csv):
        floor.check(numpy_floor, pipeline, body)
    fused = InProcessPipeline.load(
        definition.load(artifacts.three_containers).variants[0].model, work / "fused"
    )
    stage_spec = definition.parse(
        {
            "ModelName": "single-stage",
            "Containers": [
                {"Image": "inferline-sklearn", "ModelDataUrl": str(artifacts.single_stage)}
            ],
        }
    )
    stage = InProcessPipeline.load(stage_spec.variants[0].model, work / "stage")
    wanted = pipeline.predict(one_row)
    for loaded in (fused, stage):
        answer = loaded.invoke(Request(one_csv, "text/csv", accept="text/csv")).body
        if not np.allclose(targets.csv_scores(answer), wanted, rtol=0, atol=1e-9):
            raise AssertionError(f"in-process answer {answer!r}, scikit-learn {wanted}")

    def csv_call(subject: InProcessPipeline, body: bytes) -> Callable[[], object]:
        return lambda: subject.invoke(Request(body, "text/csv", accept="text/csv"))

    calls: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
        "fused": (csv_call(fused, one_csv), csv_call(fused, batch_csv)),
        "stage-inprocess": (csv_call(stage, one_csv), csv_call(stage, batch_csv)),
        "sklearn-predict": (lambda: pipeline.predict(one_row), lambda: pipeline.predict(batch)),
        "sklearn-csv": (
            lambda: pipeline.predict(floor.pandas_frame(one_csv, columns)),
            lambda: pipeline.predict(floor.pandas_frame(batch_csv, columns)),
        ),
        "numpy": (
            lambda: numpy_floor.predict_csv(one_csv),
            lambda: numpy_floor.predict_csv(batch_csv),
        ),
    }

    def subject(
        one: Callable[[], object], many: Callable[[], object]
    ) -> Callable[[], dict[str, float]]:
        def measure() -> dict[str, float]:
            samples, cpu = workloads.in_process(one, 300)
            big, _ = workloads.in_process(many, 10, warmup=2)
            return {
                "cpu": cpu,
                "p50": statistics.median(samples),
                "p99": float(np.percentile(samples, 99)),
                "rows_per_s": BATCH_ROWS / statistics.median(big),
            }

        return measure

    return {name: subject(one, many) for name, (one, many) in calls.items()}


if __name__ == "__main__":
    main()
