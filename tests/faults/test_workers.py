"""A gunicorn worker killed or timed out: its master replaces it, the next requests succeed.

A real `inferline serve` of the echo model; the worker pids are read from the master's
children in /proc, as an operator (or the OOM killer) sees them.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from inferline.containers.harness import lifecycle, ports
from tests.echo import serve_command, until

READY_SECONDS = 120.0


def workers(master: int) -> list[int]:
    """The master's child processes now (its workers)."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def serve(echo_model: Path, tmp_path: Path, **environment: str) -> lifecycle.ServerProcess:
    allocation = ports.allocate(set())
    (tmp_path / "state").mkdir(exist_ok=True)
    server = lifecycle.start(
        serve_command(echo_model),
        url=f"http://127.0.0.1:{allocation.port}",
        log_path=tmp_path / "serve.log",
        env={
            **os.environ,
            **allocation.environment,
            "ECHO_NAME": "one",
            "ECHO_STATE": str(tmp_path / "state"),
            **environment,
        },
    )
    server.wait_ready(READY_SECONDS)
    return server


def invoke(server: lifecycle.ServerProcess, body: str, timeout: float = 60) -> requests.Response:
    return requests.post(
        f"{server.url}/invocations",
        data=body,
        headers={"Content-Type": "text/plain"},
        timeout=timeout,
    )


@pytest.fixture
def two_workers(echo_model: Path, tmp_path: Path) -> Iterator[lifecycle.ServerProcess]:
    server = serve(echo_model, tmp_path, SAGEMAKER_MODEL_SERVER_WORKERS="2")
    yield server
    server.stop()


def test_a_killed_worker_is_replaced_and_the_next_requests_succeed(
    two_workers: lifecycle.ServerProcess,
) -> None:
    server = two_workers
    before = until(
        lambda: workers(server.pid) if len(workers(server.pid)) == 2 else None, "two workers"
    )
    os.kill(before[0], signal.SIGKILL)
    after = until(
        lambda: found if len(found := workers(server.pid)) == 2 and found != before else None,
        "the master to replace the killed worker",
    )
    assert before[0] not in after and before[1] in after
    for number in range(20):  # both workers answer: every request succeeds
        assert invoke(server, f"after {number}").status_code == 200
    assert server.alive()


def test_a_timed_out_worker_is_replaced_and_the_next_requests_succeed(
    echo_model: Path, tmp_path: Path
) -> None:
    """Sync workers: gunicorn's timeout is a heartbeat from the worker's loop, which a
    sync worker stops sending while it serves; a gthread worker's loop keeps beating
    while a thread runs a slow request (the harness's invocation timeout bounds that)."""
    server = serve(
        echo_model,
        tmp_path,
        SAGEMAKER_MODEL_SERVER_WORKERS="1",
        SAGEMAKER_MODEL_SERVER_TIMEOUT="2",
        INFERLINE_WORKER_CLASS="sync",
        INFERLINE_WORKER_THREADS="1",  # more threads would make gunicorn's sync a gthread
    )
    try:
        before = until(lambda: workers(server.pid) or None, "the worker")
        # Held past the 2 s timeout: the master aborts the worker, whose abort handler
        # unwinds the request into gunicorn's 500 (or the connection just closes).
        try:
            held: int | None = invoke(server, "hold one").status_code
        except requests.ConnectionError:
            held = None
        assert held in (500, None)
        after = until(
            lambda: found if (found := workers(server.pid)) and found != before else None,
            "a new worker",
        )
        assert before[0] not in after
        assert "WORKER TIMEOUT" in server.log_tail(200)
        assert invoke(server, "next").status_code == 200
        assert server.alive()
    finally:
        (tmp_path / "state" / "release").touch()
        server.stop()
