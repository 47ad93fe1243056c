"""The model archive: reproducible writes, round trips, and extraction that cannot escape."""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import stat
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from inferline.containers.core import archive, modeldir
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.kind import BUNDLE_FILE


def _model(directory: Path) -> Path:
    (directory / "code").mkdir(parents=True)
    (directory / "code" / "inference.py").write_text("x = 1\n")
    (directory / "code" / "run.sh").write_text("#!/bin/sh\n")
    (directory / "code" / "run.sh").chmod(0o700)
    (directory / "model.joblib").write_bytes(b"\x00\x01binary")
    (directory / "empty").mkdir()
    return directory


def test_the_same_files_give_the_same_bytes(tmp_path: Path) -> None:
    first = archive.write(_model(tmp_path / "one"), tmp_path / "a" / "model.tar.gz")
    # Other times, other modes from another umask, another archive name: same bytes.
    second_dir = _model(tmp_path / "two")
    os.utime(second_dir / "model.joblib", (1_000_000, 1_000_000))
    (second_dir / "code" / "inference.py").chmod(0o600)
    second = archive.write(second_dir, tmp_path / "b" / "other-name.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    # Same bytes again after rewriting over the first archive.
    again = archive.write(tmp_path / "one", first).read_bytes()
    assert again == second.read_bytes()


def test_members_are_sorted_and_carry_no_time_owner_or_umask(tmp_path: Path) -> None:
    target = archive.write(_model(tmp_path / "model"), tmp_path / "model.tar.gz")
    raw = target.read_bytes()
    assert raw[4:8] == b"\x00\x00\x00\x00"  # gzip MTIME field
    assert raw[3] & 0x08 == 0  # no FNAME field: the archive's name is not recorded
    with tarfile.open(target) as tar:
        members = tar.getmembers()
    assert [m.name for m in members] == [
        "code",
        "code/inference.py",
        "code/run.sh",
        "empty",
        "model.joblib",
    ]
    assert {(m.mtime, m.uid, m.gid, m.uname, m.gname) for m in members} == {(0, 0, 0, "", "")}
    modes = {m.name: m.mode for m in members}
    assert modes == {
        "code": 0o755,
        "code/inference.py": 0o644,
        "code/run.sh": 0o755,
        "empty": 0o755,
        "model.joblib": 0o644,
    }


def test_round_trip_gives_back_every_file(tmp_path: Path) -> None:
    source = _model(tmp_path / "model")
    target = archive.write(source, tmp_path / "model.tar.gz")
    out = tmp_path / "out"
    archive.extract(target, out)
    files = sorted(p.relative_to(source).as_posix() for p in source.rglob("*"))
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == files
    for name in files:
        if (source / name).is_file():
            assert (out / name).read_bytes() == (source / name).read_bytes()
    assert (out / "empty").is_dir()
    assert modeldir.resolve(target, tmp_path / "resolved") == tmp_path / "resolved"
    assert (tmp_path / "resolved" / "model.joblib").read_bytes() == b"\x00\x01binary"
    assert modeldir.resolve(source) == source


def test_write_refuses_a_symlink(tmp_path: Path) -> None:
    source = _model(tmp_path / "model")
    (source / "link").symlink_to(source / "model.joblib")
    with pytest.raises(ValueError, match="link.*regular file"):
        archive.write(source, tmp_path / "model.tar.gz")


def _tar_with(tmp_path: Path, add: Callable[[tarfile.TarFile], None]) -> Path:
    path = tmp_path / "bad.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        ok = tarfile.TarInfo("ok.txt")
        ok.size = 2
        tar.addfile(ok, io.BytesIO(b"ok"))
        add(tar)
    return path


def _member(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_member("../escape.txt"), "unsafe path '../escape.txt'"),
        (_member("/tmp/inferline-absolute.txt"), "unsafe path"),
        (_member("a/../../escape.txt"), "unsafe path"),
        (_member("up", tarfile.SYMTYPE, "../outside"), "link 'up' -> '../outside'"),
        (_member("sub/up", tarfile.SYMTYPE, "../../outside"), "pointing out"),
        (_member("abs", tarfile.SYMTYPE, "/etc/passwd"), "pointing out"),
        (_member("hard", tarfile.LNKTYPE, "../outside"), "pointing out"),
        (_member("fifo", tarfile.FIFOTYPE), "device or pipe 'fifo'"),
        (_member("dev", tarfile.CHRTYPE), "device or pipe 'dev'"),
    ],
)
def test_extract_refuses_members_that_could_escape(
    tmp_path: Path, member: tarfile.TarInfo, message: str
) -> None:
    path = _tar_with(tmp_path, lambda tar: tar.addfile(member))
    target = tmp_path / "target"
    with pytest.raises(ModelLoadError, match=message.replace("(", r"\(")):
        archive.extract(path, target)
    assert not (target / "ok.txt").exists()  # checked before anything is written
    assert not (tmp_path / "escape.txt").exists()


def test_extract_keeps_links_that_stay_inside(tmp_path: Path) -> None:
    inside = _member("sub/same", tarfile.SYMTYPE, "../ok.txt")
    path = _tar_with(tmp_path, lambda tar: tar.addfile(inside))
    archive.extract(path, tmp_path / "target")
    assert (tmp_path / "target" / "sub" / "same").read_bytes() == b"ok"


def test_a_broken_archive_is_a_model_load_error(tmp_path: Path) -> None:
    path = tmp_path / "model.tar.gz"
    path.write_bytes(b"\x1f\x8b not really gzip")
    with pytest.raises(ModelLoadError, match="cannot extract"):
        archive.extract(path, tmp_path / "target")
    (tmp_path / "model.zip").touch()
    with pytest.raises(ModelLoadError, match="neither a directory nor"):
        modeldir.resolve(tmp_path / "model.zip")
    with pytest.raises(ModelLoadError, match="does not exist"):
        modeldir.resolve(tmp_path / "missing")


def _saved_binarizer(folder: Path) -> Path:
    """A Spark Binarizer as `model.write().save()` leaves it (a params-only stage)."""
    (folder / "metadata").mkdir(parents=True)
    metadata = {
        "class": "org.apache.spark.ml.feature.Binarizer",
        "timestamp": 1764578096123,
        "sparkVersion": "3.5.3",
        "uid": "Binarizer_3b1e4c1f0a2d",
        "paramMap": {"inputCol": "length", "outputCol": "long", "threshold": 0.5},
        "defaultParamMap": {"threshold": 0.0},
    }
    (folder / "metadata" / "part-00000").write_text(json.dumps(metadata) + "\n")
    return folder


def test_the_spark_converter_packs_the_same_model_to_the_same_bytes(tmp_path: Path) -> None:
    from inferline.stages.sparkml.bundle import load_bundle
    from inferline.stages.sparkml.convert import package

    saved = _saved_binarizer(tmp_path / "spark")
    first = package(saved, tmp_path / "a" / "model.tar.gz")
    second = package(saved, tmp_path / "b" / "model.tar.gz")
    assert first.read_bytes() == second.read_bytes()
    out = tmp_path / "out"
    archive.extract(first, out)
    info = json.loads((out / BUNDLE_FILE).read_text())
    assert info["timestamp"] == "2025-12-01T08:34:56.123"  # Spark's save time, not now
    bundle = load_bundle(first)
    result = bundle.transform({"length": np.array([0.2, 0.7])})
    assert result["long"].tolist() == [0.0, 1.0]


def _zeros_tar(tmp_path: Path, size: int) -> Path:
    """A model.tar.gz of one member of `size` zero bytes: a few KB, expanding to `size`."""
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("weights.bin")
        info.size = size
        tar.addfile(info, io.BytesIO(bytes(size)))
    return path


def test_an_archive_expanding_past_the_limit_is_refused_before_writing(tmp_path: Path) -> None:
    path = _zeros_tar(tmp_path, 8 * 1024 * 1024)
    assert path.stat().st_size < 64 * 1024  # a small archive ...
    target = tmp_path / "target"
    with pytest.raises(ModelLoadError, match="expands past 1000000 bytes.*refusing"):
        archive.extract(path, target, limit=1_000_000)  # ... that expands past the limit
    assert not target.exists() or not any(target.iterdir()), "nothing written"
    archive.extract(path, target, limit=8 * 1024 * 1024)  # at the limit: fine
    assert (target / "weights.bin").stat().st_size == 8 * 1024 * 1024


def test_a_header_claiming_terabytes_is_refused_by_the_default_limit(tmp_path: Path) -> None:
    """The default limit (no setting) stops a bomb at its first header, before any data."""
    path = tmp_path / "claims.tar.gz"
    header = tarfile.TarInfo("huge.bin")
    header.size = 2 * 1024**4  # 2 TiB claimed; the archive holds none of it
    with gzip.open(path, "wb") as raw:
        raw.write(header.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024))
    with pytest.raises(ModelLoadError, match="expands past"):
        archive.extract(path, tmp_path / "target")
    assert not (tmp_path / "target" / "huge.bin").exists()


@pytest.mark.parametrize(
    ("free", "limit"),
    [(10 * 1024**3, 5 * 1024**3), (10 * 1024**4, archive.MAX_EXTRACTED_BYTES)],
    ids=["half of 10 GiB free", "the cap on a 10 TiB disk"],
)
def test_the_default_limit_is_half_the_free_disk_up_to_a_cap(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free: int, limit: int
) -> None:
    asked: list[Path] = []

    def disk_usage(path: Path) -> shutil._ntuple_diskusage:
        asked.append(Path(path))
        return shutil._ntuple_diskusage(free * 4, free * 3, free)

    monkeypatch.setattr(shutil, "disk_usage", disk_usage)
    assert archive.default_limit(tmp_path / "not" / "yet") == limit
    assert asked == [tmp_path], "free space is measured where the target will be"


def _zip_bundle(path: Path, member: zipfile.ZipInfo, content: bytes = b"x") -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(BUNDLE_FILE, json.dumps({"format": "json", "name": "x"}))
        bundle.writestr(member, content)
    return path


def _zip_member(name: str, mode: int = stat.S_IFREG | 0o644) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = mode << 16
    return info


@pytest.mark.parametrize(
    ("member", "message"),
    [
        (_zip_member("../escape.json"), "unsafe path '../escape.json'"),
        (_zip_member("/etc/inferline.json"), "unsafe path"),
        (_zip_member("root/../../escape.json"), "unsafe path"),
        (_zip_member("root/link", stat.S_IFLNK | 0o777), "link, device or pipe 'root/link'"),
        (_zip_member("root/dev", stat.S_IFCHR | 0o644), "link, device or pipe"),
        (_zip_member("root/fifo", stat.S_IFIFO | 0o644), "link, device or pipe"),
    ],
)
def test_a_zip_bundle_with_an_unsafe_member_is_refused(
    tmp_path: Path, member: zipfile.ZipInfo, message: str
) -> None:
    from inferline.stages.sparkml.bundle import load_bundle

    before = sorted(tmp_path.parent.iterdir())
    path = _zip_bundle(tmp_path / "model.zip", member, b"../../etc/passwd")
    with pytest.raises(ModelLoadError, match=message.replace("(", r"\(")):
        load_bundle(path)
    assert sorted(tmp_path.parent.iterdir()) == before, "nothing written beside the test's folder"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.zip"]


def test_a_zip_bomb_bundle_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    from inferline.stages.sparkml import bundle

    path = tmp_path / "model.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr(BUNDLE_FILE, "{}")
        zipped.writestr("root/model.json", bytes(bundle.ZIP_MEMORY_LIMIT // 1024))
    with zipfile.ZipFile(path) as zipped:
        archive.check_zip(zipped, path, bundle.ZIP_MEMORY_LIMIT)  # under the limit: fine
        with pytest.raises(ModelLoadError, match="expands past 1024 bytes"):
            archive.check_zip(zipped, path, 1024)
