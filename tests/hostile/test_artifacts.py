"""Every hostile archive of tests/hostile/artifacts.py is refused, with nothing written.

A model.tar.gz goes through `inferline serve`'s own path (`modeldir.open_model_dir`
into a cache in the test's folder); an MLeap zip through `load_bundle`. Each must
raise a ModelLoadError naming the problem, leave no extracted file, and write nothing
outside: the test's folder and /tmp are compared before and after. A flood of members
is refused at startup by a real `inferline serve`, naming INFERLINE_MAX_ARCHIVE_MEMBERS,
and the default limit lets a normal model through.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from inferline.containers.core import archive, modeldir
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml import bundle
from tests.conformance.examples import EXAMPLES
from tests.hostile.artifacts import ARTIFACTS, Artifact, tar_flood, zip_flood
from tests.servers import free_port, serve_command


def snapshot(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize("artifact", ARTIFACTS, ids=lambda a: f"{a.format}: {a.name}")
def test_a_hostile_archive_is_refused_and_writes_nothing(
    artifact: Artifact, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = tmp_path / "built"
    built.mkdir()
    path = artifact.build(built)
    cache = tmp_path / "cache"
    temp_before = set(Path(tempfile.gettempdir()).iterdir())
    before = snapshot(tmp_path)
    members = archive.MAX_ARCHIVE_MEMBERS if artifact.members is None else artifact.members
    with pytest.raises(ModelLoadError, match=artifact.refusal):
        if artifact.format == "MLeap zip":
            if artifact.extracted_bytes is not None:
                monkeypatch.setattr(bundle, "ZIP_MEMORY_LIMIT", artifact.extracted_bytes)
            bundle.load_bundle(path, members)
        else:
            modeldir.Extraction.acquire(path, artifact.extracted_bytes, cache, members)
    written = {
        p for p in snapshot(tmp_path) - before if not p.name.endswith((".lock", ".extracting"))
    }
    assert written <= {cache}, f"left behind: {sorted(written)}"
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path.parent / "escape.txt").exists()
    new_in_temp = {p for p in set(Path(tempfile.gettempdir()).iterdir()) - temp_before}
    assert not [p for p in new_in_temp if "escape" in p.name or "inferline-bundle" in p.name]


SMALL_FLOODS = {
    "tar of files": tar_flood(tarfile.REGTYPE, 300),
    "tar of folders": tar_flood(tarfile.DIRTYPE, 300),
    "zip": zip_flood(count=300),
    "zip declaring 2": zip_flood(declared=2, count=300),
}


@pytest.mark.parametrize("build", SMALL_FLOODS.values(), ids=SMALL_FLOODS.keys())
def test_members_are_counted_exactly(build: Callable[[Path], Path], tmp_path: Path) -> None:
    """A limit of the flood plus its model file passes; one fewer is refused."""
    path = build(tmp_path)
    enough = 300 + 1  # the flood and the model file (or bundle.json)
    if path.suffix == ".zip":
        archive.check_zip_members(path, enough)
        with pytest.raises(ModelLoadError, match=f"more than {enough - 1} members"):
            archive.check_zip_members(path, enough - 1)
        return
    archive.extract(path, tmp_path / "model", members=enough)
    assert (tmp_path / "model" / "model.joblib").read_bytes() == b"ok"
    with pytest.raises(ModelLoadError, match=f"more than {enough - 1} members"):
        archive.extract(path, tmp_path / "again", members=enough - 1)
    assert not (tmp_path / "again").exists()


def test_the_default_limit_lets_a_normal_model_through(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    EXAMPLES["sklearn"](model_dir)
    code = model_dir / "code"
    code.mkdir()
    for number in range(1000):  # a model with a vocabulary folder of many small files
        (code / f"{number}.txt").write_text(str(number))
    packed = archive.write(model_dir, tmp_path / "model.tar.gz")
    with modeldir.open_model_dir(packed) as extracted:
        assert sorted(p.name for p in extracted.iterdir()) == sorted(
            p.name for p in model_dir.iterdir()
        )
        assert len(list((extracted / "code").iterdir())) == 1000
    zipped = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zipped, "w") as bundle_zip:
        for number in range(1000):
            bundle_zip.writestr(f"root/{number}.json", b"{}")
    archive.check_zip_members(zipped)  # the default: no refusal


def test_a_flood_is_refused_at_startup_naming_the_setting(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    flood = tmp_path / "model.tar.gz"
    with tarfile.open(flood, "w:gz") as tar:
        for number in range(50):
            info = tarfile.TarInfo(f"model-{number}.txt")
            info.size = 1
            tar.addfile(info, io.BytesIO(b"x"))
    refused = subprocess.run(
        serve_command(flood, "--port", str(free_port())),
        env={**os.environ, "TMPDIR": str(temp), "INFERLINE_MAX_ARCHIVE_MEMBERS": "10"},
        capture_output=True,
        timeout=120,
        check=False,
    )
    output = (refused.stdout + refused.stderr).decode()
    assert refused.returncode != 0
    assert "more than 10 members" in output and "INFERLINE_MAX_ARCHIVE_MEMBERS" in output
    locks = (".lock", ".extracting")  # empty lock files, kept for the next server
    written = [p for p in temp.rglob("*") if p.is_file() and not p.name.endswith(locks)]
    assert written == [], "nothing of the flood is written"
    assert not [p for p in temp.rglob("inferline-model-*") if p.is_dir()], "no partial folder"


def test_a_flooded_mleap_zip_is_refused_when_the_sparkml_stage_loads(tmp_path: Path) -> None:
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    zip_flood(count=50)(model_dir)
    refused = subprocess.run(
        serve_command(model_dir, "--port", str(free_port()), "--stage", "sparkml"),
        env={**os.environ, "INFERLINE_MAX_ARCHIVE_MEMBERS": "10"},
        capture_output=True,
        timeout=120,
        check=False,
    )
    output = (refused.stdout + refused.stderr).decode()
    assert refused.returncode != 0
    assert "model.zip holds more than 10 members" in output
    assert "INFERLINE_MAX_ARCHIVE_MEMBERS" in output


def test_the_zip_count_finds_zip64_commented_and_prefixed_directories(tmp_path: Path) -> None:
    """Past 65,535 entries a zip's count and size live in its zip64 end record; a comment
    or a prefix (a self-extracting stub) moves the end record: each is counted exactly."""
    entries = 0x10000  # one past what the classic end record can count
    big = tmp_path / "zip64.zip"
    with zipfile.ZipFile(big, "w") as zipped:
        for number in range(entries):
            zipped.writestr(f"{number}", b"")
    assert b"PK\x06\x06" in big.read_bytes()[-200:], "written with a zip64 end record"
    archive.check_zip_members(big, entries)
    with pytest.raises(ModelLoadError, match=f"more than {entries - 1} members"):
        archive.check_zip_members(big, entries - 1)
    small = tmp_path / "commented.zip"
    with zipfile.ZipFile(small, "w") as zipped:
        for number in range(5):
            zipped.writestr(f"{number}", b"x")
        zipped.comment = b"PK fake signature in a comment " * 100
    prefixed = tmp_path / "prefixed.zip"
    prefixed.write_bytes(b"#!/bin/sh\nexit 0\n" * 64 + small.read_bytes())
    for path in (small, prefixed):
        with zipfile.ZipFile(path) as opened:
            assert len(opened.infolist()) == 5  # zipfile finds the same five
        archive.check_zip_members(path, 5)
        with pytest.raises(ModelLoadError, match="more than 4 members"):
            archive.check_zip_members(path, 4)


def test_the_in_process_runner_reads_the_limit_from_the_containers_environment(
    tmp_path: Path,
) -> None:
    """A batch job or `--runtime inprocess` extracts with the limits the container's own
    `inferline serve` would read from its Environment."""
    from inferline.containers.core import definition
    from inferline.containers.pipeline.inprocess import InProcessPipeline

    model_dir = tmp_path / "model"
    model_dir.mkdir()
    EXAMPLES["sklearn"](model_dir)
    for number in range(20):
        (model_dir / f"extra-{number}.txt").write_text(str(number))
    packed = archive.write(model_dir, tmp_path / "model.tar.gz")

    def pipeline(environment: dict[str, str]) -> definition.ModelSpec:
        container = {"Image": "inferline-sklearn", "ModelDataUrl": str(packed)}
        return (
            definition.parse(
                {"ModelName": "limits", "Containers": [{**container, "Environment": environment}]}
            )
            .variants[0]
            .model
        )

    with pytest.raises(ModelLoadError, match="INFERLINE_MAX_ARCHIVE_MEMBERS"):
        InProcessPipeline.load(pipeline({"INFERLINE_MAX_ARCHIVE_MEMBERS": "10"}), tmp_path / "a")
    with InProcessPipeline.load(pipeline({}), tmp_path / "b") as loaded:
        assert loaded is not None
