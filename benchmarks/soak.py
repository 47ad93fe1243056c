"""Soak: the car-evaluation pipeline under 16 concurrent clients for 10 minutes.

Starts a real `inferline up --detach` harness of the pipeline's three containers,
then keeps 16 clients (keep-alive sessions, each sending its next request when the
last one is answered) busy for the whole run. Each minute it records the requests,
errors, p50/p99 latency and the resident memory (RSS) of every process: the harness,
and each container's gunicorn master and workers. The table goes to stdout and, with
--write, into docs/reliability.md ("Sustained load")::

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--clients 16] [--write]

`make soak` runs it as above; tests/soak/test_soak.py runs one minute in `make test`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "reliability.md"
BEGIN, END = "<!-- soak table: begin -->", "<!-- soak table: end -->"
START_SECONDS = 300
CLIENT_SECONDS = 120


@dataclass
class Minute:
    """What one minute of the run saw."""

    requests: int = 0
    errors: list[str] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)

    def quantiles(self) -> tuple[float, float]:
        if len(self.latencies_ms) < 2:
            only = self.latencies_ms[0] if self.latencies_ms else float("nan")
            return only, only
        cuts = statistics.quantiles(self.latencies_ms, n=100, method="inclusive")
        return cuts[49], cuts[98]


@dataclass
class Soak:
    """A finished run: one `Minute` per minute."""

    minutes: list[Minute]
    clients: int

    @property
    def errors(self) -> list[str]:
        return [error for minute in self.minutes for error in minute.errors]

    def growth_mb(self) -> dict[str, float]:
        """Each process's RSS in the last minute minus in the first (MB)."""
        first, last = self.minutes[0].rss_mb, self.minutes[-1].rss_mb
        return {name: last[name] - first[name] for name in first if name in last}

    def table(self) -> str:
        names = sorted({name for minute in self.minutes for name in minute.rss_mb})
        head = ["minute", "requests", "errors", "p50 ms", "p99 ms", *[f"{n} MB" for n in names]]
        rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for index, minute in enumerate(self.minutes, start=1):
            p50, p99 = minute.quantiles()
            memory = [f"{minute.rss_mb.get(name, float('nan')):.0f}" for name in names]
            cells = [str(index), str(minute.requests), str(len(minute.errors))]
            rows.append("| " + " | ".join([*cells, f"{p50:.1f}", f"{p99:.1f}", *memory]) + " |")
        return "\n".join(rows)


def processes(harness: int) -> dict[str, int]:
    """The harness and its descendants, named: ``harness``, ``<container>``, ``<container>
    worker N`` (a container's master is the harness's descendant serving its --model-dir:
    its child, or its image's zygote's).

    /proc is read directly: psutil is no dependency of the project.
    """
    parents: dict[int, int] = {}
    commands: dict[int, str] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text().rpartition(")")[2].split()
            commands[int(entry.name)] = (entry / "cmdline").read_bytes().decode(errors="replace")
        except (OSError, IndexError):
            continue
        parents[int(entry.name)] = int(stat[1])
    named = {"harness": harness}
    descendants: list[int] = []
    generation = [harness]
    while generation:
        generation = sorted(pid for pid, parent in parents.items() if parent in generation)
        descendants.extend(generation)
    for master in descendants:
        container = _container_name(commands.get(master, ""))
        if container is None or container in named:
            continue
        named[container] = master
        workers = sorted(pid for pid, parent in parents.items() if parent == master)
        for number, worker in enumerate(workers, start=1):
            named[f"{container} worker {number}"] = worker
    return named


def _container_name(command: str) -> str | None:
    """The container a master's command line serves: its model folder's name."""
    arguments = command.split("\0")
    if "--model-dir" not in arguments:
        return None
    model = Path(arguments[arguments.index("--model-dir") + 1])
    return model.parent.name if model.name == "model.tar.gz" else model.name


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def client(
    url: str, body: bytes, stop: threading.Event, minutes: list[Minute], t0: float, period: float
) -> None:
    session = requests.Session()
    headers = {"Content-Type": "text/csv", "Accept": "text/csv"}
    while not stop.is_set():
        sent = time.monotonic()
        try:
            answer = session.post(url, data=body, headers=headers, timeout=CLIENT_SECONDS)
            error = None if answer.status_code == 200 else f"{answer.status_code} {answer.text}"
        except requests.RequestException as failure:
            error = f"{type(failure).__name__}: {failure}"
        done = time.monotonic()
        index = min(int((sent - t0) // period), len(minutes) - 1)
        minute = minutes[index]
        minute.requests += 1  # list.append and += on an int attribute hold the GIL
        if error is None:
            minute.latencies_ms.append((done - sent) * 1000)
        else:
            minute.errors.append(error)


def run(
    artifacts: Path, home: Path, *, minutes: int = 10, clients: int = 16, period: float = 60.0
) -> Soak:
    """Serve the pipeline with `inferline up --detach`, load it, stop it; the `Soak`.

    `period` is the length of a "minute" in seconds (the test runs 4 of 15 s).
    """
    command = [sys.executable, "-m", "inferline.containers"]
    up = subprocess.run(
        [
            *command,
            "up",
            str(artifacts / "pipeline.json"),
            "--detach",
            "--port",
            "0",
            "--name",
            "soak",
            "--home",
            str(home),
        ],
        capture_output=True,
        text=True,
        timeout=START_SECONDS,
    )
    if up.returncode != 0:
        raise RuntimeError(f"inferline up failed:\n{up.stdout}\n{up.stderr}")
    state = json.loads((home / "soak" / "state.json").read_text())
    try:
        sample = json.loads((artifacts / "samples.json").read_text())[0]["body"].encode()
        url = f"{state['url']}/endpoints/soak/invocations"
        table = [Minute() for _ in range(minutes)]
        stop = threading.Event()
        t0 = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(url, sample, stop, table, t0, period))
            for _ in range(clients)
        ]
        for thread in threads:
            thread.start()
        for index, minute in enumerate(table):
            # Memory near the end of each period (a benchmark's clock, not a test's wait).
            sampled_at = period * (index + 1) - min(5.0, period / 4)
            time.sleep(max(0.0, t0 + sampled_at - time.monotonic()))
            minute.rss_mb = {
                name: value
                for name, pid in processes(state["pid"]).items()
                if (value := rss_mb(pid)) is not None
            }
        time.sleep(max(0.0, t0 + period * minutes - time.monotonic()))
        stop.set()
        for thread in threads:
            thread.join()
        return Soak(table, clients)
    finally:
        down = subprocess.run(
            [*command, "down", "--name", "soak", "--home", str(home)],
            capture_output=True,
            timeout=START_SECONDS,
        )
        if down.returncode != 0 and _running(state["pid"]):
            os.kill(state["pid"], signal.SIGTERM)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def write(soak: Soak, doc: Path = DOC) -> None:
    """Put the table between the soak markers of docs/reliability.md."""
    text = doc.read_text()
    if BEGIN not in text or END not in text:
        raise RuntimeError(f"{doc} has no {BEGIN} ... {END} markers")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    when = time.strftime("%Y-%m-%d", time.gmtime())
    block = (
        f"{BEGIN}\n{len(soak.minutes)} minutes, {soak.clients} clients, measured {when} on "
        f"{machine} (`make soak`):\n\n{soak.table()}\n{END}"
    )
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(head + block + tail)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--artifacts", type=Path, default=ROOT / "artifacts" / "car-evaluation")
    parser.add_argument("--minutes", type=int, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--write", action="store_true", help="update docs/reliability.md")
    args = parser.parse_args()
    from inferline.training.demo import ensure_trained

    ensure_trained("car-evaluation", args.artifacts, retrain=False)  # as `make demo` does
    home = ROOT / "build" / "soak"
    soak = run(args.artifacts, home, minutes=args.minutes, clients=args.clients)
    print(soak.table())
    print(f"errors: {len(soak.errors)}; RSS growth, MB: {json.dumps(soak.growth_mb())}")
    for error in soak.errors[:5]:
        print(f"  {error}")
    if args.write:
        write(soak)
    return 1 if soak.errors else 0


if __name__ == "__main__":
    sys.exit(main())
