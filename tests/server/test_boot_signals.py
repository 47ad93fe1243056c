"""A stop that reaches a gunicorn worker while it boots is kept for it (containers/bootsignals.py).

Each test runs the serving container's gunicorn (its arbiter, its worker classes) in a
process of its own, with a post_fork hook that asks the arbiter to stop from inside the
booting worker, before the worker has its own signal handlers: exactly the window in which
gunicorn's own arbiter lost the worker's SIGTERM (and CI's `inferline serve` waited for the
25 s graceful timeout to end in SIGKILL).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from inferline.containers.harness import ports

EXIT_SECONDS = 60.0  # far more than a kept stop needs, less than the graceful timeout below

SERVER = textwrap.dedent(
    """
    import os, signal, sys, time
    from pathlib import Path
    from flask import Flask
    from inferline.containers.core.settings import Settings
    from inferline.containers.server import _Gunicorn, gunicorn_options

    marker, port = Path(sys.argv[1]), int(sys.argv[2])
    worker_class, threads = sys.argv[3], int(sys.argv[4])

    def post_fork(server, worker):
        # In the booting worker: the arbiter is told to stop, and tells this worker.
        os.kill(server.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if signal.SIGTERM in signal.sigpending():
                marker.write_text("pending before the worker's handlers")
                return
            time.sleep(0.01)

    settings = Settings(model_dir=Path("/nowhere"), host="127.0.0.1", port=port, workers=1,
                        worker_class=worker_class, threads=threads)
    options = {**gunicorn_options(settings), "post_fork": post_fork, "graceful_timeout": 120}
    _Gunicorn(Flask("boot"), options).run()
    """
)


@pytest.mark.parametrize(
    ("worker_class", "threads"),
    [("gthread", 4), ("gunicorn-gthread", 4), ("sync", 1)],
    ids=["direct-threads", "gunicorn-gthread", "sync"],
)
def test_a_stop_sent_while_a_worker_boots_stops_it(
    worker_class: str, threads: int, tmp_path: Path
) -> None:
    script = tmp_path / "server.py"
    script.write_text(SERVER)
    marker = tmp_path / "pending"
    command = [sys.executable, str(script), str(marker), str(ports.allocate().port),
               worker_class, str(threads)]  # fmt: skip
    ended = subprocess.run(command, capture_output=True, text=True, timeout=EXIT_SECONDS)
    log = ended.stdout + ended.stderr
    assert marker.read_text() == "pending before the worker's handlers", log
    assert ended.returncode == 0, log
    assert "Handling signal: term" in log
    assert "Worker exiting" in log
    assert "SIGKILL" not in log, log
