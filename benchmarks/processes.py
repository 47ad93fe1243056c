"""A benchmark's processes as Linux's /proc shows them: the tree below one, and CPU time.

A child is listed under the thread that forked it (`/proc/<pid>/task/<tid>/children`),
and the harness forks from a spawner thread, so every thread of a process is read.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
GONE_SECONDS = 30.0
POLL_SECONDS = 0.05


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, depth first (none once it has ended)."""
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found.append(int(child))
                found += descendants(int(child))
    except OSError:  # it ended meanwhile
        pass
    return found


def cpu_seconds(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of one process so far; (0, 0) once it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    return int(fields[11]) / TICKS, int(fields[12]) / TICKS


def wait_gone(pids: list[int], seconds: float = GONE_SECONDS) -> list[int]:
    """Wait until none of `pids` runs (a zombie counts as gone); those left at the deadline."""
    deadline = time.monotonic() + seconds
    while True:
        left = [pid for pid in pids if _running(pid)]
        if not left or time.monotonic() >= deadline:
            return left
        time.sleep(POLL_SECONDS)


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
