"""The process runtime's warm zygote and exit watcher (docs/harness.md, "Cold start and restart").

Real echo containers through a real LocalEndpoint: forked containers carry their own
environment, command line and the harness's mark; an import-sensitive Environment is
spawned instead; a killed container is restarted with no request to notice it; a killed
zygote takes its containers with it and the harness brings them back.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from inferline.containers.core import definition
from inferline.containers.harness import LocalEndpoint, zygote
from inferline.containers.harness import state as states
from inferline.containers.harness.deployment import BACKOFF_MAX_SECONDS, BACKOFF_SECONDS, backoff
from inferline.containers.harness.process import ProcessContainer
from tests.echo import echo_chain, until

pytestmark = pytest.mark.skipif(not zygote.supported(), reason="zygotes are Linux-only")


def _containers(endpoint: LocalEndpoint) -> list[ProcessContainer]:
    found = endpoint.endpoint.deployment.containers
    assert all(isinstance(c, ProcessContainer) for c in found)
    return found  # type: ignore[return-value]  # checked just above


def _pid(container: ProcessContainer) -> int:
    process = container.process
    assert process is not None
    return process.pid


def _serves(endpoint: LocalEndpoint) -> bool | None:
    try:
        answer = requests.get(endpoint.url + "/ping", timeout=10)
    except requests.RequestException:
        return None
    return True if answer.status_code == 200 else None


def test_a_forked_container_is_its_own_process_with_its_own_environment(
    echo_model: Path, tmp_path: Path
) -> None:
    spec = definition.parse(echo_chain(echo_model, tmp_path / "state", ("one", "two")))
    with LocalEndpoint(spec) as endpoint:
        answer = endpoint.invoke(b"hello", content_type="text/plain").body.decode()
        assert answer.splitlines()[1:] == [
            "one attributes=None private=",
            "two attributes=None private=",
        ]
        containers = _containers(endpoint)
        for container in containers:
            assert isinstance(container.process, zygote.ForkedProcess)
            pid = _pid(container)
            assert os.getpgid(pid) == pid  # a session and process group of its own
            command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
            assert command.startswith(b"inferline serve ") and str(echo_model).encode() in command
            mark = f"{states.HARNESS_VARIABLE}={states.harness_id()}".encode()
            assert mark in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
        assert "container-1 | " in endpoint.log_path("container-1").read_text()


def test_an_import_sensitive_environment_is_spawned_afresh(
    echo_model: Path, tmp_path: Path
) -> None:
    threads = "3" if os.environ.get("OMP_NUM_THREADS") != "3" else "2"
    document = echo_chain(echo_model, tmp_path / "state", ("one",), OMP_NUM_THREADS=threads)
    with LocalEndpoint(definition.parse(document)) as endpoint:
        (container,) = _containers(endpoint)
        assert isinstance(container.process, subprocess.Popen)
        environ = Path(f"/proc/{_pid(container)}/environ").read_bytes().split(b"\0")
        assert f"OMP_NUM_THREADS={threads}".encode() in environ
        answer = endpoint.invoke(b"hi", content_type="text/plain").body
        assert answer.endswith(b"one attributes=None private=")


def test_a_killed_container_is_restarted_without_a_request_noticing(
    echo_model: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    spec = definition.parse(echo_chain(echo_model, state, ("one", "two")))
    (state / "gate").touch()  # restarts boot at once
    with LocalEndpoint(spec) as endpoint:
        victim = _containers(endpoint)[1]
        killed = victim.process
        assert killed is not None
        os.killpg(killed.pid, signal.SIGKILL)
        assert killed.wait(60) == -signal.SIGKILL  # the zygote reports the real exit code
        # No invocation is sent: the exit watcher alone starts the restart.
        until(lambda: (victim.process is not killed and victim.alive()) or None, "a new process")
        until(lambda: _serves(endpoint), "the endpoint's /ping to answer 200 again")
        assert (state / "boots-two").read_text().count("boot") == 2
        answer = endpoint.invoke(b"again", content_type="text/plain").body.decode()
        assert answer.endswith("two attributes=None private=")


def test_a_killed_zygote_takes_its_containers_and_the_harness_brings_them_back(
    echo_model: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    spec = definition.parse(echo_chain(echo_model, state, ("one",)))
    (state / "gate").touch()
    with LocalEndpoint(spec) as endpoint:
        (container,) = _containers(endpoint)
        first = container.process
        assert isinstance(first, zygote.ForkedProcess)
        parent = int(Path(f"/proc/{first.pid}/stat").read_text().rpartition(")")[2].split()[1])
        os.kill(parent, signal.SIGKILL)  # the zygote: its container gets the parent-death signal
        assert first.wait(60) is not None
        until(lambda: (container.process is not first) or None, "the container to be restarted")
        until(lambda: _serves(endpoint), "the endpoint's /ping to answer 200 again")
        assert endpoint.invoke(b"back", content_type="text/plain").body.endswith(
            b"one attributes=None private="
        )


def test_the_first_crash_restarts_at_once_and_a_crash_loop_backs_off() -> None:
    assert backoff(1) == 0.0
    assert backoff(2) == BACKOFF_SECONDS
    assert backoff(3) == 2 * BACKOFF_SECONDS
    assert backoff(50) == BACKOFF_MAX_SECONDS
