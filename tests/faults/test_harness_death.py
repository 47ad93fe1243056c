"""A harness killed with SIGKILL leaves no container behind (docs/reliability.md, Faults).

Each test runs a real `inferline up --detach` daemon of echo containers, as a user
would, and looks for its containers' processes by their model folder (the test's own).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import requests

from inferline.containers.harness import lifecycle, ports
from inferline.containers.harness import state as states
from tests.echo import echo_chain, serve_command, until
from tests.faults.conftest import processes_with, running, write_json

CLI_SECONDS = 300


def inferline(*arguments: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "inferline.containers", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=CLI_SECONDS,
    )


def up_detached(pipeline: Path, home: Path) -> dict[str, Any]:
    started = inferline(
        "up", str(pipeline), "--detach", "--port", "0", "--home", str(home), cwd=pipeline.parent
    )
    assert started.returncode == 0, started.stderr
    state: dict[str, Any] = json.loads((home / "echo" / states.STATE_FILE).read_text())
    return state


def test_no_container_outlives_a_harness_killed_with_sigkill(
    echo_model: Path, tmp_path: Path
) -> None:
    pipeline = write_json(
        tmp_path / "pipeline.json", echo_chain(echo_model, tmp_path / "state", ("one", "two"))
    )
    state = up_detached(pipeline, tmp_path / "home")
    containers = processes_with(str(echo_model))
    assert len(containers) >= 4, containers  # two gunicorn masters and their workers
    assert requests.get(state["url"] + "/ping", timeout=10).status_code == 200

    os.kill(state["pid"], signal.SIGKILL)  # no draining, no stop: as a crash takes it

    # A process's command line reads empty while it exits, before it is a zombie: wait
    # on the pids themselves too.
    gone = lambda: not processes_with(str(echo_model)) and not any(map(running, containers))  # noqa: E731
    until(lambda: gone() or None, "the containers to exit")
    assert not any(running(pid) for pid in containers)


def test_up_stops_what_a_dead_harness_left_running(echo_model: Path, tmp_path: Path) -> None:
    """A container not tied to its harness (another OS, or a docker container) outlives
    it; the next `inferline up` of that name stops it, found by the harness's mark."""
    home = tmp_path / "home"
    gone = subprocess.Popen(["true"])
    gone.wait()  # a pid no harness holds
    dead = states.State("echo", gone.pid, "http://127.0.0.1:1", "", harness=f"{gone.pid}-1")
    dead.save(home / "echo")
    allocation = ports.allocate(set())
    environment = {
        **os.environ,
        **allocation.environment,
        "ECHO_NAME": "left",
        "ECHO_STATE": str(tmp_path / "state"),
        states.HARNESS_VARIABLE: dead.harness,
    }
    (tmp_path / "state").mkdir()
    # Started the way a container of that harness was, but not tied to this test process.
    leftover = subprocess.Popen(
        serve_command(echo_model),
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{allocation.port}"
        lifecycle.wait_ready([_Running(leftover, url, tmp_path / "none.log")], 120)
        pipeline = write_json(
            tmp_path / "pipeline.json", echo_chain(echo_model, tmp_path / "state", ("one",))
        )
        state = up_detached(pipeline, home)

        assert leftover.wait(60) is not None  # stopped by `up` before it started serving
        harness_log = (home / "echo" / "harness.log").read_text()
        assert f"stopped process group {leftover.pid}" in harness_log
        assert state["harness"] != dead.harness
        assert requests.get(state["url"] + "/ping", timeout=10).status_code == 200
    finally:
        if leftover.poll() is None:
            os.killpg(leftover.pid, signal.SIGKILL)
            leftover.wait()
        down = inferline("down", "echo", "--home", str(home), cwd=tmp_path)
        assert down.returncode == 0, down.stderr


class _Running:
    """A started process as `lifecycle.wait_ready` polls it."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log_path: Path) -> None:
        self.process, self.url, self.log_path, self.hostname = process, url, log_path, "left"

    def alive(self) -> bool:
        return self.process.poll() is None
