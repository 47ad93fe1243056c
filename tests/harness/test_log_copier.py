"""The log copier (`lifecycle.copy_lines`): whole prefixed lines, nothing lost, and a
process seen to have exited has its last lines in the file."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from inferline.containers.harness import lifecycle

JOIN_SECONDS = 30.0
CHILD = """
import pathlib, sys, time
print("booting", flush=True)
deadline = time.monotonic() + 30
log = pathlib.Path({log!r})
while "booting" not in (log.read_text() if log.exists() else ""):
    assert time.monotonic() < deadline, "the copier never copied the first line"
    time.sleep(0.001)
print("last words")
sys.exit(3)
"""


def _copy(pieces: list[bytes], log: Path) -> str:
    read_end, write_end = os.pipe()
    copier = lifecycle.copy_lines(os.fdopen(read_end, "rb"), log, "hop-1")
    for piece in pieces:
        os.write(write_end, piece)
    os.close(write_end)
    copier.join(JOIN_SECONDS)
    assert not copier.is_alive()
    return log.read_text()


def test_lines_split_across_writes_are_written_whole_and_prefixed(tmp_path: Path) -> None:
    pieces = [b"first\nsec", b"ond", b"\n", b"\nthird\nno end"]
    assert _copy(pieces, tmp_path / "log") == (
        "hop-1 | first\nhop-1 | second\nhop-1 | \nhop-1 | third\nhop-1 | no end"
    )


def test_a_burst_larger_than_a_pipe_is_copied_in_order(tmp_path: Path) -> None:
    lines = [f"{index:07d} {'x' * 60}" for index in range(50_000)]  # about 3.4 MB
    text = "".join(f"{line}\n" for line in lines).encode()
    pieces = [text[start : start + 4093] for start in range(0, len(text), 4093)]
    assert _copy(pieces, tmp_path / "log").splitlines() == [f"hop-1 | {line}" for line in lines]


def test_a_long_line_in_many_reads_stays_one_line(tmp_path: Path) -> None:
    pieces = [b"y" * 4096] * 300 + [b"\nafter\n"]
    assert _copy(pieces, tmp_path / "log") == f"hop-1 | {'y' * 4096 * 300}\nhop-1 | after\n"


def test_an_exited_server_has_its_last_lines_in_the_log(tmp_path: Path) -> None:
    # Its last line is written just before it exits, right after the copier copied the
    # first (so the copier is in its pause): once `alive()` says it has exited, the
    # copier has caught up, though it copies only every COPY_EVERY_SECONDS.
    for attempt in range(5):
        log = tmp_path / f"server-{attempt}.log"
        script = CHILD.format(log=str(log))
        server = lifecycle.start(
            [sys.executable, "-c", script],
            url="http://127.0.0.1:9",
            log_path=log,
            hostname="model",
            prefix_lines=True,
        )
        assert server.process.wait(JOIN_SECONDS) == 3
        assert not server.alive()
        assert log.read_text().splitlines() == ["model | booting", "model | last words"]
        server.stop()
