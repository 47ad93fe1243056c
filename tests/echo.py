"""The echo model's test helpers, shared by the harness promises and the fault tests.

The echo model (tests/fixtures/echo) answers in milliseconds, appends what it received
to the body and obeys commands in it (``hold <name>``, ``die <name>``), so a test can
build chains of it and inject a fault exactly where it wants one. A suite uses the
`echo_model` fixture by importing it into its conftest or test module.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

ECHO = Path(__file__).resolve().parent / "fixtures" / "echo"
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
        if time.monotonic() >= deadline:  # a bound on the wait, not a timed assertion
            pytest.fail(f"gave up on {what} after {seconds:g} s {why()}")
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


def serve_command(model: Path) -> list[str]:
    """`inferline serve` for one echo container on loopback, outside any harness (its port
    and ECHO_ settings come from the environment it is started with)."""
    return [
        sys.executable,
        "-m",
        "inferline.containers",
        "serve",
        "--host",
        "127.0.0.1",
        "--model-dir",
        str(model),
    ]
