"""The markdown section benchmarks/suite.py writes: its tables, the issue's targets, the setup.

Figures arrive as one value per round; each is shown as median (min-max) over rounds, with
its ratio to the reference measured in the same run (plain Flask over HTTP, scikit-learn's
`predict` in-process).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import abalone_artifacts
import chain_series
import report
import targets
import workloads
from peers import envs

DOC = abalone_artifacts.ROOT / "docs" / "benchmarks.md"
BATCH_ROWS = 1000
Figures = dict[str, list[float]]  # figure -> one value per round


@dataclass(frozen=True)
class Plan:
    rounds: int
    requests: int  # sequential 1-row requests per round and target
    seconds: float  # wrk duration
    batches: int  # 1,000-row requests per round and target
    chain_rounds: int


FULL = Plan(rounds=3, requests=200, seconds=10, batches=10, chain_rounds=3)
QUICK = Plan(rounds=2, requests=100, seconds=5, batches=5, chain_rounds=1)


LABELS = {
    "fused": "inferline, the 3 stages fused in-process (`InProcessPipeline`)",
    "stage-inprocess": "inferline, 1 sklearn stage in-process (CSV in, CSV out)",
    "sklearn-predict": "scikit-learn `Pipeline.predict` on a ready DataFrame",
    "sklearn-csv": "scikit-learn: pandas `read_csv` + `predict`",
    "numpy": "numpy: the same arithmetic, CSV parsing included",
}


def compose(
    plan: Plan,
    args: argparse.Namespace,
    servers: list[targets.Target],
    chains: list[targets.Target],
    failed: dict[str, str],
    results: dict[str, Figures],
    connections: dict[str, int],
    started: datetime,
    load_before: tuple[float, float, float],
    load_after: tuple[float, float, float],
    wrk_note: str,
) -> str:
    mode = "--quick" if args.quick else "full"
    # The suite keeps both cores busy itself, so the load after it says nothing of others';
    # the one-minute load before it does.
    loaded = load_before[0] > 1.0
    lines = [
        "## Side by side: inferline, its peers and the floor (`make bench`)",
        "",
        f"`{' '.join(['.venv/bin/python', 'benchmarks/suite.py', *sys.argv[1:]])}` "
        f"({mode} mode: {plan.rounds} rounds, {plan.requests} sequential 1-row requests, "
        f"wrk for {plan.seconds:g} s, {plan.batches} requests of {BATCH_ROWS:,} rows per target "
        f"and round; chain series {plan.chain_rounds} round(s)), started "
        f"{started:%Y-%m-%d %H:%M} UTC. Targets are interleaved within each round and each "
        "is cold-started every round, after one unmeasured start of each (the page cache warm "
        "for all, as for every start but a machine's first). Figures are the median over "
        "rounds with (min-max); "
        "every target's answer was checked against scikit-learn's before it was timed.",
        "",
        f"Machine: {os.cpu_count()} cores (nproc), {cpu_model()}, Python "
        f"{platform.python_version()}; load average {fmt_load(load_before)} before, "
        f"{fmt_load(load_after)} after.",
    ]
    if loaded:
        lines += [
            "",
            "**Taken under load**: other builds and test suites ran on this 2-core machine "
            "during the run, so absolute times are inflated and noisy; the ratios, measured "
            "side by side in the same rounds, are the useful part.",
        ]
    else:
        lines += ["", "Nothing else ran on the machine; the load after is the suite's own."]
    if wrk_note:
        lines += ["", wrk_note + "."]
    lines += ["", *servers_table(servers, failed, results), ""]
    lines += [*in_process_table(results), ""]
    lines += [*chain_table(chains, failed, results), ""]
    lines += [*goals_table(servers, results, connections, chains), ""]
    lines += [*setup_lines(servers, failed, plan)]
    return "\n".join(lines) + "\n"


def servers_table(
    servers: list[targets.Target], failed: dict[str, str], results: dict[str, Figures]
) -> list[str]:
    reference = results.get("flask", {})
    rows = []
    for server in servers:
        if server.name in failed and not results.get(server.name):
            rows.append([server.label, f"did not run: {failed[server.name]}", *[""] * 7])
            continue
        got = results[server.name]
        rows.append(
            [
                server.label,
                spread(got["p50"], 1e3),
                ratio(got["p50"], reference.get("p50", [])),
                spread(got["p99"], 1e3),
                spread(got.get("rps", []), 1, 0),
                ratio(got.get("rps", []), reference.get("rps", [])),
                spread(got.get("c_p50", []), 1e3) + " / " + spread(got.get("c_p99", []), 1e3),
                spread(got["rows_per_s"], 1, 0),
                ratio(got["rows_per_s"], reference.get("rows_per_s", [])),
            ]
            + [spread(got["cold_ping"]) + " / " + spread(got["cold_answer"])]
        )
    header = [
        "target",
        "1 row p50 ms",
        "vs Flask",
        "1 row p99 ms",
        "8 conns req/s",
        "vs Flask",
        "8 conns p50 / p99 ms",
        "1,000 rows: rows/s",
        "vs Flask",
        "cold start s: /ping / first answer",
    ]
    rows = [
        row if len(row) == len(header) else row + [""] * (len(header) - len(row)) for row in rows
    ]
    return [
        "Over HTTP (reference: the plain Flask + gunicorn server, same run):",
        "",
        *report.table(header, rows),
    ]


def in_process_table(results: dict[str, Figures]) -> list[str]:
    reference = results.get("sklearn-predict", {})
    rows = []
    for name, label in LABELS.items():
        got = results.get(name)
        if not got:
            continue
        rows.append(
            [
                label,
                spread(got["p50"], 1e6, 1),
                ratio(got["p50"], reference.get("p50", [])),
                spread(got["p99"], 1e6, 1),
                spread(got["cpu"], 1e6, 1),
                ratio(got["cpu"], reference.get("cpu", [])),
                spread(got["rows_per_s"], 1, 0),
                ratio(got["rows_per_s"], reference.get("rows_per_s", [])),
            ]
        )
    header = [
        "in-process (no HTTP)",
        "1 row p50 µs",
        "vs sklearn predict",
        "1 row p99 µs",
        "1 row CPU µs",
        "vs sklearn predict",
        "1,000 rows: rows/s",
        "vs sklearn predict",
    ]
    return [
        "In-process, the floor (reference: scikit-learn's own `predict`, same run; the numpy "
        "version gives scikit-learn's scores to 1e-9, checked each run):",
        "",
        *report.table(header, rows),
    ]


def chain_table(
    chains: list[targets.Target], failed: dict[str, str], results: dict[str, Figures]
) -> list[str]:
    rows, lengths, p50s = [], [], []
    for length, chain in zip(chain_series.LENGTHS, chains, strict=True):
        got = results.get(chain.name)
        if not got:
            rows.append([str(length), f"did not run: {failed.get(chain.name, '?')}", ""])
            continue
        rows.append([str(length), spread(got["p50"], 1e3), spread(got["cold_answer"])])
        lengths.append(length)
        p50s.append(statistics.median(got["p50"]))
    slope = chain_series.per_hop(lengths, p50s) if len(lengths) >= 2 else float("nan")
    return [
        "Chain length (identity-like containers through `inferline up`, 1 row, sequential, "
        f"keep-alive): each added hop costs **{slope * 1e3:.2f} ms** at p50 (least-squares "
        "slope over the lengths below).",
        "",
        *report.table(["containers", "1 row p50 ms", "cold start to first answer s"], rows),
    ]


def goals_table(
    servers: list[targets.Target],
    results: dict[str, Figures],
    connections: dict[str, int],
    chains: list[targets.Target],
) -> list[str]:
    pipe, flask = results.get("inferline-pipeline", {}), results.get("flask", {})
    peers = [s.name for s in servers if not s.name.startswith("inferline") and results.get(s.name)]
    goals: list[report.Goal] = []

    def ratio_goal(
        text: str, value: list[float], reference: list[float], limit: float, at_most: bool
    ) -> None:
        if not value or not reference:
            goals.append(report.Goal(text, "n/a", None))
            return
        measured = statistics.median(value) / statistics.median(reference)
        rounds = [v / r for v, r in zip(value, reference, strict=False)]
        met = measured <= limit if at_most else measured >= limit
        goals.append(report.Goal(text, f"{measured:.2f}x (rounds {fmt_list(rounds)})", met))

    ratio_goal(
        "3-container pipeline, 1 row p50 <= 0.5x plain Flask's",
        pipe.get("p50", []),
        flask.get("p50", []),
        0.5,
        True,
    )
    best = max(peers, key=lambda n: statistics.median(results[n].get("rps", [0.0])), default=None)
    ratio_goal(
        f"3-container pipeline, 8 connections req/s >= 1.5x the best peer's ({best})",
        pipe.get("rps", []),
        results[best].get("rps", []) if best else [],
        1.5,
        False,
    )
    lengths, p50s = [], []
    for length, chain in zip(chain_series.LENGTHS, chains, strict=True):
        if results.get(chain.name):
            lengths.append(length)
            p50s.append(statistics.median(results[chain.name]["p50"]))
    if len(lengths) >= 2:
        slope = chain_series.per_hop(lengths, p50s)
        goals.append(
            report.Goal("each added hop <= 0.5 ms at p50", f"{slope * 1e3:.2f} ms", slope <= 0.5e-3)
        )
    else:
        goals.append(report.Goal("each added hop <= 0.5 ms at p50", "n/a", None))
    opened = connections.get("inferline-pipeline")
    goals.append(
        report.Goal(
            "the endpoint keeps a keep-alive client on one connection (HTTP/1.1)",
            "n/a" if opened is None else f"{opened} connection(s) for the sequential 1-row calls",
            None if opened is None else opened == 1,
        )
    )
    ratio_goal(
        "sklearn stage, 1 row in-process <= 0.1x scikit-learn's own predict",
        results.get("stage-inprocess", {}).get("p50", []),
        results.get("sklearn-predict", {}).get("p50", []),
        0.1,
        True,
    )
    ratio_goal(
        "3-container pipeline, 1,000 rows: rows/s >= 2x plain Flask's",
        pipe.get("rows_per_s", []),
        flask.get("rows_per_s", []),
        2.0,
        False,
    )
    cold = pipe.get("cold_answer", [])
    goals.append(
        report.Goal(
            "3-container pipeline, `inferline up` to first answer < 3 s",
            f"{statistics.median(cold):.2f} s (rounds {fmt_list(cold)})" if cold else "n/a",
            statistics.median(cold) < 3.0 if cold else None,
        )
    )
    text = DOC.read_text() if DOC.exists() else ""
    present = [name for name in ("Spark ML", "Batch") if f"## {name}" in text]
    goals.append(
        report.Goal(
            "Spark ML stage and batch transform figures in this document",
            "sections present: " + (", ".join(present) or "none"),
            len(present) == 2,
        )
    )
    return [
        "Issue 14's targets (ratios from this run; missed ones stay open):",
        "",
        *report.table(["target", "measured", "verdict"], [goal.cells() for goal in goals]),
    ]


def setup_lines(servers: list[targets.Target], failed: dict[str, str], plan: Plan) -> list[str]:
    versions = ", ".join(
        f"{name} {package_version(name)}" for name in ("scikit-learn", "numpy", "pandas")
    )
    lines = [
        "How each target ran (port shown as 8080; every server on 127.0.0.1):",
        "",
        f"- inferline at {git_revision()}, {versions} (the same scikit-learn, numpy and "
        "joblib are pinned in every peer's venv).",
        f"- client: urllib3 keep-alive pool for sequential calls; `wrk -t2 -c8 "
        f"-d{plan.seconds:g}s -s post.lua URL` ({wrk_version()}) for 8 connections.",
    ]
    for server in servers:
        detail = f" ({server.versions})" if server.versions else ""
        note = f"; failed: {failed[server.name]}" if server.name in failed else ""
        lines.append(
            f"- {server.label}{detail}, {server.settings}: `{server.command_line()}`{note}"
        )
    lines.append(
        f"- peers' venvs: {envs.CACHE}/<peer>, reused while their requirements are unchanged; "
        f"MMS runs on {java_version()}."
    )
    return lines


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    return report.spread(values, scale, digits)


def ratio(values: list[float], reference: list[float]) -> str:
    return report.ratio(values, reference)


def fmt_list(values: list[float]) -> str:
    return ", ".join(f"{value:.2f}" for value in values)


def fmt_load(load: tuple[float, float, float]) -> str:
    return " / ".join(f"{value:.1f}" for value in load)


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def package_version(name: str) -> str:
    from importlib import metadata

    return metadata.version(name)


def git_revision() -> str:
    """HEAD, and whether the served code had changes not yet committed (they were measured)."""
    root = abalone_artifacts.ROOT

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], capture_output=True, text=True, cwd=root).stdout

    head = git("rev-parse", "--short", "HEAD").strip() or "?"
    dirty = git("status", "--porcelain", "--", "containers", "stages", "training").strip()
    return f"{head} plus uncommitted changes in the working tree" if dirty else head


def java_version() -> str:
    result = subprocess.run(["java", "-version"], capture_output=True, text=True)
    lines = (result.stderr or result.stdout).splitlines()
    return lines[0].strip() if lines else "no java"


def wrk_version() -> str:
    wrk = workloads.wrk_path()
    if wrk is None:
        return "wrk missing"
    result = subprocess.run([wrk, "-v"], capture_output=True, text=True)
    return (result.stdout + result.stderr).split("[")[0].strip() or "wrk"
