"""Extraction hygiene of `inferline serve` on a model.tar.gz: nothing left, nothing redone.

Real servers on loopback, each with its own TMPDIR (so the count is this test's
alone): a clean stop (SIGTERM, SIGINT) removes the extraction, a failed start
removes it, a crash (SIGKILL of the whole group) leaves it and the restart reuses it
rather than extracting again, and after all of it the temporary folder holds what it
held before. A bomb is refused at startup, naming the limit, with nothing written.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from inferline.containers.core import archive
from tests.conformance.examples import EXAMPLES
from tests.servers import ServerProcess, free_port, serve_command

EXIT_SECONDS = 30.0


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model_dir = tmp_path_factory.mktemp("model")
    EXAMPLES["sklearn"](model_dir)
    return archive.write(model_dir, tmp_path_factory.mktemp("archive") / "model.tar.gz")


def extractions(temp: Path) -> list[Path]:
    """Every extracted model folder under `temp`, cached or left by an old server."""
    return sorted(p for p in temp.rglob("inferline-model-*") if p.is_dir())


def start(packed: Path, temp: Path, log: Path) -> ServerProcess:
    return ServerProcess.start(packed, log, env={"TMPDIR": str(temp)})


def invoke(server: ServerProcess) -> int:
    import requests

    response = requests.post(
        server.url + "/invocations",
        data=b"1.0,2.0\n",
        headers={"Content-Type": "text/csv"},
        timeout=30,
    )
    return response.status_code


def signal_and_wait(server: ServerProcess, sig: signal.Signals) -> int:
    os.killpg(server.process.pid, sig) if sig == signal.SIGKILL else server.process.send_signal(sig)
    return server.process.wait(timeout=EXIT_SECONDS)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_clean_stop_removes_the_extraction(
    packed: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    server = start(packed, temp, tmp_path / "server.log")
    try:
        assert invoke(server) == 200
        assert len(extractions(temp)) == 1, "served from one extraction"
        signal_and_wait(server, sig)
    finally:
        server.stop()
    assert extractions(temp) == [], server.output()


def test_a_crash_leaves_it_and_the_restart_reuses_it(packed: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    first = start(packed, temp, tmp_path / "first.log")
    try:
        [extracted] = extractions(temp)
        marker = extracted / "reused-marker"
        marker.write_text("the first server's extraction")
        signal_and_wait(first, signal.SIGKILL)  # as a crash or an OOM kill: no cleanup runs
    finally:
        first.stop()
    assert extractions(temp) == [extracted]
    second = start(packed, temp, tmp_path / "second.log")
    try:
        assert extractions(temp) == [extracted]
        assert marker.exists(), "the restart extracted again instead of reusing"
        assert invoke(second) == 200
    finally:
        second.stop()
    assert extractions(temp) == []


def test_two_servers_share_one_extraction_and_the_last_removes_it(
    packed: Path, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    with start(packed, temp, tmp_path / "a.log") as first:
        with start(packed, temp, tmp_path / "b.log") as second:
            assert len(extractions(temp)) == 1
            first.stop()
            assert len(extractions(temp)) == 1, "removed under a server still using it"
            assert invoke(second) == 200
    assert extractions(temp) == []


def test_a_failed_start_removes_the_extraction(packed: Path, tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    with socket.socket() as taken:  # the port is in use: gunicorn cannot bind
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        failed = subprocess.run(
            serve_command(packed, "--port", str(port)),
            env={**os.environ, "TMPDIR": str(temp), "SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
            capture_output=True,
            timeout=120,
            check=False,
        )
    assert failed.returncode != 0
    assert extractions(temp) == [], failed.stdout.decode()[-2000:]
    wrong_kind = subprocess.run(
        serve_command(packed, "--port", str(free_port()), "--stage", "xgboost"),
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert wrong_kind.returncode != 0
    assert extractions(temp) == []


def test_starts_crashes_and_stops_leave_the_temp_folder_as_it_was(
    packed: Path, tmp_path: Path
) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    before = sorted(p.name for p in temp.iterdir())
    for round_number in range(3):
        server = start(packed, temp, tmp_path / f"round-{round_number}.log")
        try:
            assert invoke(server) == 200
            if round_number == 1:
                signal_and_wait(server, signal.SIGKILL)
        finally:
            server.stop()
    cached = temp / "inferline-models"
    assert extractions(temp) == []
    assert sorted(p.name for p in temp.iterdir() if p != cached) == before
    assert not [p for p in cached.iterdir() if p.is_dir()], "a folder left in the cache"


def test_a_bomb_is_refused_at_startup_naming_the_limit(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    bomb = tmp_path / "model.tar.gz"
    import io
    import tarfile

    with tarfile.open(bomb, "w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = 16 * 1024 * 1024
        tar.addfile(info, io.BytesIO(bytes(info.size)))
    assert bomb.stat().st_size < 100 * 1024
    refused = subprocess.run(
        serve_command(bomb, "--port", str(free_port())),
        env={**os.environ, "TMPDIR": str(temp), "INFERLINE_MAX_EXTRACTED_BYTES": "1000000"},
        capture_output=True,
        timeout=120,
        check=False,
    )
    output = (refused.stdout + refused.stderr).decode()
    assert refused.returncode != 0
    assert "expands past 1000000 bytes" in output and "INFERLINE_MAX_EXTRACTED_BYTES" in output
    locks = (".lock", ".extracting")  # empty lock files, kept for the next server
    written = [p for p in temp.rglob("*") if p.is_file() and not p.name.endswith(locks)]
    assert written == [], "nothing of the bomb is written"
