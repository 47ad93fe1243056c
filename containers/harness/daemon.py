"""A harness as a long-running process: serve until a signal, detach, update, stop by pid.

`serve` runs an endpoint in the foreground until SIGINT/SIGTERM, through a local
control plane (`controlplane.fromfile`); SIGHUP switches it to the definition
`request_update` left in ``update.json`` (else re-reads its own) by UpdateEndpoint.
`detach` runs `inferline up` in a session of its own and returns once its state file
says it serves. ``./.inferline/<name>/state.json`` (`harness.state`) is how the other
commands find a running harness: its pid, URL, definition, logs and update generation.

A harness that died without stopping its containers (SIGKILL, a crash) left its state
file behind; the next `serve` in that folder first stops whatever still carries that
harness's id (`clean_up`). On Linux its containers already got SIGTERM as it died
(`lifecycle.tie_to_parent`); this catches the rest, and docker containers.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core.errors import StateError
from inferline.containers.harness import state as states

if TYPE_CHECKING:
    from inferline.containers.core.definition import EndpointSpec

STOP_SECONDS = 60.0
POLL_SECONDS = 0.1
HARNESS_LOG = "harness.log"
LEFTOVER_GRACE_SECONDS = 10.0  # SIGTERM to SIGKILL for a dead harness's containers


def serve(
    spec: EndpointSpec,
    folder: Path,
    definition: Path,
    *,
    port: int,
    host: str,
    runtime: str,
    timeout: float,
) -> int:
    """Deploy the file through a control plane, record its state, serve until SIGINT/SIGTERM.

    The endpoint is created by the control plane's own operations (CreateModel,
    CreateEndpointConfig, CreateEndpoint) and SIGHUP is its UpdateEndpoint
    (`controlplane.fromfile`), so boto3's ``sagemaker`` client sees it too.
    """
    from inferline.containers.controlplane.fromfile import serve_file

    # Until serving, SIGTERM unwinds like Ctrl-C does, so started containers are stopped.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    for leftover in clean_up(folder):
        print(f"stopped {leftover}, left running by a harness that died", flush=True)
    return serve_file(
        spec, folder, definition, port=port, host=host, runtime=runtime, timeout=timeout
    )


def _exit_on_signal(number: int, frame: object) -> None:
    raise SystemExit(128 + number)


def detach(command: Sequence[str], name: str, folder: Path) -> int:
    """Run `command` (an `inferline up` in the foreground) in the background, output to
    ``harness.log``; return once its state file names its URL, or print its log if it exits."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / HARNESS_LOG
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this shell and its Ctrl-C
        )
    while process.poll() is None:
        try:
            state: states.State | None = states.State.read(folder)
        except StateError:
            state = None
        if state is not None and state.pid == process.pid and state.url:
            print(
                f"endpoint {name} is up at {state.url} (pid {process.pid}); "
                f"logs: inferline logs --name {name}"
            )
            return 0
        time.sleep(POLL_SECONDS)
    print(f"inferline up failed:\n{log.read_text(errors='replace')}", file=sys.stderr)
    return 1


def request_update(folder: Path, state: states.State, definition: Path) -> str | None:
    """Leave `definition` in ``update.json``, SIGHUP the harness, wait for its answer.

    Returns None once the harness serves it, else why not (the old one still serves).

    Raises:
        StateError: the harness exited before it answered.
    """
    # A request id, not the generation: a reload already under way (a plain SIGHUP)
    # would otherwise be taken for the answer to this one.
    request = uuid.uuid4().hex
    asked = {"definition": str(definition.resolve()), "request": request}
    (folder / states.UPDATE_FILE).write_text(json.dumps(asked))
    os.kill(state.pid, signal.SIGHUP)
    while states.is_running(state.pid):
        current = states.State.read(folder)
        if current.answered == request:
            return current.update_error
        time.sleep(POLL_SECONDS)
    raise StateError(f"the harness of {state.name} exited during the update")


def stop(folder: Path, state: states.State, seconds: float = STOP_SECONDS) -> bool:
    """SIGTERM the harness (it drains and stops its containers); True once it exited.

    No SIGKILL: that would leave its containers, each in a session of its own, running.
    """
    if states.is_running(state.pid):
        os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + seconds
    while states.is_running(state.pid) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    if states.is_running(state.pid):
        return False
    (folder / states.STATE_FILE).unlink(missing_ok=True)
    return True


def clean_up(folder: Path) -> list[str]:
    """Stop what the harness of `folder`'s state file left, if that harness is dead.

    Its container processes (found by the `states.HARNESS_VARIABLE` in their
    environment) get SIGTERM, then SIGKILL of their groups; its docker containers (by
    `states.HARNESS_LABEL`) are removed. Returns what was stopped, for the log.
    """
    try:
        old = states.State.read(folder)
    except StateError:
        return []
    if states.is_running(old.pid) and states.harness_id(old.pid) == old.harness:
        return []  # it lives: not ours to clean
    stopped: list[str] = []
    if old.harness:
        stopped += _stop_processes(old.harness)
        stopped += _remove_docker_containers(old.harness)
    (folder / states.STATE_FILE).unlink(missing_ok=True)
    return stopped


def marked_processes(harness: str) -> dict[int, int]:
    """pid -> process group of every process whose environment carries `harness`'s mark."""
    mark = f"{states.HARNESS_VARIABLE}={harness}".encode()
    found: dict[int, int] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (entry / "environ").read_bytes().split(b"\0"):
                found[int(entry.name)] = os.getpgid(int(entry.name))
        except (OSError, ValueError):
            continue  # gone meanwhile, or not ours to read
    return found


def _stop_processes(harness: str) -> list[str]:
    found = marked_processes(harness)
    groups = set(found.values())
    _signal_groups(groups, signal.SIGTERM)
    deadline = time.monotonic() + LEFTOVER_GRACE_SECONDS
    while any(states.is_running(pid) for pid in found) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    _signal_groups(groups, signal.SIGKILL)
    return [f"process group {group}" for group in sorted(groups)]


def _signal_groups(groups: set[int], number: signal.Signals) -> None:
    for group in groups:
        try:
            os.killpg(group, number)
        except (ProcessLookupError, PermissionError):
            pass  # gone already


def _remove_docker_containers(harness: str) -> list[str]:
    from inferline.containers.images import engine

    if shutil.which(engine.DOCKER) is None:
        return []
    label = f"label={states.HARNESS_LABEL}={harness}"
    listed = subprocess.run(
        [engine.DOCKER, "ps", "--all", "--quiet", "--filter", label],
        capture_output=True,
        text=True,
        check=False,
    )
    names = listed.stdout.split() if listed.returncode == 0 else []
    if names:
        subprocess.run([engine.DOCKER, "rm", "--force", *names], capture_output=True, check=False)
    return [f"docker container {name}" for name in names]
