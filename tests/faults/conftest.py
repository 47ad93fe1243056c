"""Shared pieces of the fault tests: echo pipelines, bounded waits, process lookups.

The echo model (tests/fixtures/echo) answers in milliseconds and obeys commands in the
body (``hold <name>``, ``die <name>``), so a fault can be injected exactly where a test
wants it; the processes a test looks for are found by the model folder in their
command line, which is the test's own tmp_path (other suites run at the same time).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

ECHO = Path(__file__).resolve().parents[1] / "fixtures" / "echo"
WAIT_SECONDS = 120.0  # bounded waits on readiness, generous for a loaded 2-core machine
T = TypeVar("T")


def until(
    check: Callable[[], T | None],
    what: str,
    seconds: float = WAIT_SECONDS,
    why: Callable[[], object] = lambda: "",
) -> T:
    """Poll `check` until it returns something other than None; fail naming `what` (and
    `why()`, what the test knows of the reason)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found is not None:
            return found
        assert time.monotonic() < deadline, f"gave up on {what} after {seconds:g} s {why()}"
        time.sleep(0.05)


@pytest.fixture
def echo_model(tmp_path: Path) -> Path:
    """The echo model, copied: importing its script writes __pycache__ beside it."""
    return Path(shutil.copytree(ECHO, tmp_path / "echo-model"))


def echo_chain(
    model: Path, state: Path, names: tuple[str, ...], name: str = "echo", **environment: str
) -> dict[str, Any]:
    """A CreateModel request: one echo container per name, in order."""
    state.mkdir(exist_ok=True)
    return {
        "ModelName": name,
        "Containers": [
            {
                "Image": "inferline-sklearn",
                "ModelDataUrl": str(model),
                "Environment": {
                    "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
                    "ECHO_NAME": echo_name,
                    "ECHO_STATE": str(state),
                    **environment,
                },
            }
            for echo_name in names
        ],
    }


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document))
    return path


def running(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped by its new parent, does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def processes_with(text: str) -> list[int]:
    """Live (not zombie) processes whose command line holds `text`."""
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            status = (entry / "stat").read_text().rpartition(")")[2].split()[0]
        except (OSError, IndexError):
            continue
        if text in command and status != "Z" and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found
