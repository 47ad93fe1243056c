"""Nothing lost on interruption: a job killed halfway (SIGKILL) finishes on the second run.

The job runs as a real `inferline transform` subprocess with the process runtime; it
is killed once its manifest shows some files complete, then started again with the
same arguments, and its outputs must be byte for byte those of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from inferline.containers.batch.output import MANIFEST
from tests.batch.conftest import csv_transform_args, model_document, write_json

FILES = 5
ROWS = 8
DELAY = "0.1"  # seconds per record: about a second per file
DEADLINE_SECONDS = 180.0


def command(pipeline: Path, source: Path, output: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "inferline.containers",
        *csv_transform_args(
            pipeline, source, output, "--strategy=SingleRecord", "--runtime=process"
        ),
    ]


def complete(output: Path) -> int:
    try:
        return len(json.loads((output / MANIFEST).read_text())["complete"])
    except (OSError, ValueError, KeyError):
        return 0  # not written yet (it is replaced atomically, never half-written)


def children(pid: int) -> list[int]:
    """Direct children of `pid` (the containers' servers, each in its own session)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rpartition(")")[2].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def outputs(output: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(output.glob("*.out"))}


def test_a_killed_job_resumes_to_the_same_bytes(script_model: Path, tmp_path: Path) -> None:
    pipeline = write_json(tmp_path / "model.json", model_document(script_model))
    source = tmp_path / "in"
    source.mkdir()
    for number in range(FILES):
        rows = "".join(f"slow,{DELAY},{number}-{row}\n" for row in range(ROWS))
        (source / f"part-{number}.csv").write_text(rows)

    reference = tmp_path / "reference"
    subprocess.run(command(pipeline, source, reference), check=True, timeout=DEADLINE_SECONDS)
    assert len(outputs(reference)) == FILES

    output = tmp_path / "out"
    servers: list[int] = []
    with (tmp_path / "first.log").open("wb") as log:
        job = subprocess.Popen(command(pipeline, source, output), stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + DEADLINE_SECONDS
            while complete(output) == 0 and job.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            servers = children(job.pid)
            job.send_signal(signal.SIGKILL)
        finally:
            job.wait(timeout=30)
            for server in children(job.pid) + servers:
                try:
                    os.killpg(server, signal.SIGKILL)  # its own session: the group is its pid
                except ProcessLookupError:
                    pass
    done = complete(output)
    assert 0 < done < FILES, (tmp_path / "first.log").read_text()
    assert len(outputs(output)) == done  # the file in progress left no .out

    again = subprocess.run(
        command(pipeline, source, output), capture_output=True, text=True, timeout=DEADLINE_SECONDS
    )
    assert again.returncode == 0, again.stderr
    assert f"{done} already complete" in again.stderr
    assert outputs(output) == outputs(reference)
    assert not list(output.glob("*.partial"))
