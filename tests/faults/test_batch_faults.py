"""Batch transform faults: a container crash mid-file, and a full output disk.

A job killed and restarted is tests/batch/test_resume.py's (it resumes, byte-identical).
The crashing model is a user script that SIGKILLs its container's whole process group
on a ``kill-once`` or ``kill-always`` row, as a crash or an OOM kill takes it.
"""

from __future__ import annotations

import os
import subprocess
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from inferline.containers.cli import main
from tests.batch.conftest import csv_transform_args
from tests.faults.conftest import write_json

SCRIPT = textwrap.dedent("""
    import os
    import signal
    from pathlib import Path


    def model_fn(model_dir):
        if "BOOTS" in os.environ:  # unset in the in-process runtime
            with Path(os.environ["BOOTS"]).open("a") as boots:
                boots.write("boot\\n")
        return None


    def input_fn(body, content_type):
        text = body.decode() if isinstance(body, bytes) else body  # text may come decoded
        rows = [line.split(",") for line in text.splitlines() if line]
        for row in rows:
            marker = Path(os.environ.get("KILLED", "killed"))
            if row[0] == "kill-always" or (row[0] == "kill-once" and not marker.exists()):
                marker.write_text("killed")
                os.killpg(os.getpgrp(), signal.SIGKILL)
        return rows


    def predict_fn(rows, model):
        return [str(sum(float(v) for v in row)) if row[0][0].isdigit() else row[0] for row in rows]


    def output_fn(answers, accept):
        return "\\n".join(answers), "text/csv"
""")


@pytest.fixture
def killer(tmp_path: Path) -> Path:
    """A CreateModel file for the killing script; its boots are counted in `boots`."""
    model = tmp_path / "killer"
    (model / "code").mkdir(parents=True)
    (model / "code" / "inference.py").write_text(SCRIPT)
    document = {
        "ModelName": "killer",
        "PrimaryContainer": {
            "Image": "inferline-sklearn",
            "ModelDataUrl": str(model),
            "Environment": {
                "SAGEMAKER_MODEL_SERVER_WORKERS": "1",
                "BOOTS": str(tmp_path / "boots"),
                "KILLED": str(tmp_path / "killed"),
            },
        },
    }
    return write_json(tmp_path / "killer.json", document)


def transform(pipeline: Path, source: Path, output: Path, *options: str) -> int:
    return main(csv_transform_args(pipeline, source, output, *options))


def test_a_container_crash_mid_file_is_retried_and_the_file_completes(
    killer: Path, tmp_path: Path
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "rows.csv").write_text("1,1\n2,2\nkill-once\n3,3\n")
    status = transform(killer, source, tmp_path / "out", "--strategy=SingleRecord")
    assert status == 0
    assert (tmp_path / "out" / "rows.csv.out").read_text().split() == [
        "2.0",
        "4.0",
        "kill-once",
        "6.0",
    ]
    assert (tmp_path / "boots").read_text().count("boot") == 2  # restarted once


def test_a_container_crashing_on_every_retry_fails_its_file_cleanly(
    killer: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "in"
    source.mkdir()
    (source / "a-good.csv").write_text("1,1\n")
    (source / "b-crashing.csv").write_text("1,1\n2,2\nkill-always\n3,3\n")
    status = transform(
        killer, source, tmp_path / "out", "--strategy=SingleRecord", "--invocations-max-retries=1"
    )
    assert status == 1
    outputs = sorted(path.name for path in (tmp_path / "out").iterdir())
    assert outputs == [".inferline-manifest.json", "a-good.csv.out"]  # no partial .out
    err = capsys.readouterr().err
    assert "failed: b-crashing.csv (records 3-3)" in err
    assert "primary is not running" in err
    assert (tmp_path / "boots").read_text().count("boot") >= 2  # each attempt met a restart


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KB tmpfs mounted at tmp_path/out (root only): a real ENOSPC."""
    mount = tmp_path / "out"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        if os.environ.get("CI") == "true":
            pytest.fail(f"cannot mount a tmpfs: {mounted.stderr}")
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr.strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=True)


def test_a_full_output_disk_fails_the_file_with_a_clear_error_and_no_partial_out(
    tmp_path: Path, tiny_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = tmp_path / "summer"
    (model / "code").mkdir(parents=True)
    (model / "code" / "inference.py").write_text(SCRIPT)
    document = {
        "ModelName": "summer",
        "PrimaryContainer": {
            "Image": "inferline-sklearn",
            "ModelDataUrl": str(model),
            "Environment": {},
        },
    }
    pipeline = write_json(tmp_path / "summer.json", document)
    source = tmp_path / "in"
    source.mkdir()
    (source / "a-small.csv").write_text("1,1\n")
    (source / "b-large.csv").write_text("1000.5,1000.25\n" * 20_000)  # ~150 KB answered
    status = transform(pipeline, source, tiny_disk, "--strategy=MultiRecord", "--runtime=inprocess")
    assert status == 1
    assert (tiny_disk / "a-small.csv.out").read_text().strip() == "2.0"
    assert not (tiny_disk / "b-large.csv.out").exists()
    assert not [path.name for path in tiny_disk.iterdir() if path.name.startswith("b-large")]
    err = capsys.readouterr().err
    assert "b-large.csv" in err and "No space left on device" in err
