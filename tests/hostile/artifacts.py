"""Hostile model archives: each case builds one and names how it must be refused.

Shared by tests/hostile/test_artifacts.py (which builds and loads each) and
tests/hostile/report.py (which lists them in docs/reliability.md), so the table
there is exactly what is tested.
"""

from __future__ import annotations

import gzip
import io
import stat
import struct
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

BUNDLE_FILE = "bundle.json"
BOMB_BYTES = 64 * 1024 * 1024
LIMIT = 1024 * 1024  # INFERLINE_MAX_EXTRACTED_BYTES for the bomb cases
MEMBERS = 1000  # INFERLINE_MAX_ARCHIVE_MEMBERS for the flood cases (the default is 100,000)
FLOOD = 20 * MEMBERS  # members in a flood: built in well under a second


@dataclass(frozen=True)
class Artifact:
    name: str
    format: str  # "model.tar.gz" or "MLeap zip"
    build: Callable[[Path], Path]
    refusal: str  # a fragment of the ModelLoadError's message
    extracted_bytes: int | None = None  # the limit on extracted bytes, when lowered
    members: int | None = None  # the limit on members, when lowered


def _tar(*members: tuple[tarfile.TarInfo, bytes]) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / "model.tar.gz"
        with tarfile.open(path, "w:gz") as tar:
            ok = tarfile.TarInfo("model.joblib")
            ok.size = 2
            tar.addfile(ok, io.BytesIO(b"ok"))
            for info, content in members:
                info.size = len(content) if info.isreg() else 0
                tar.addfile(info, io.BytesIO(content))
        return path

    return build


def _info(name: str, kind: bytes = tarfile.REGTYPE, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, link
    return info


def _tar_bomb(folder: Path) -> Path:
    path = folder / "model.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("model.joblib")
        info.size = BOMB_BYTES
        tar.addfile(info, io.BytesIO(bytes(BOMB_BYTES)))
    return path


def _tar_claims(folder: Path) -> Path:
    """A header claiming 2 TiB followed by nothing: refused by the default limit."""
    path = folder / "model.tar.gz"
    header = tarfile.TarInfo("model.joblib")
    header.size = 2 * 1024**4
    with gzip.open(path, "wb") as raw:
        raw.write(header.tobuf(format=tarfile.GNU_FORMAT) + bytes(1024))
    return path


def tar_flood(kind: bytes, count: int = FLOOD) -> Callable[[Path], Path]:
    """`count` empty members of `kind` (files or folders) after a model file, written as
    raw headers: tarfile's addfile would take seconds."""

    def build(folder: Path) -> Path:
        path = folder / "model.tar.gz"
        with gzip.open(path, "wb", compresslevel=1) as raw:
            model = tarfile.TarInfo("model.joblib")
            model.size = 2
            content = b"ok".ljust(tarfile.BLOCKSIZE, b"\0")
            raw.write(model.tobuf(format=tarfile.GNU_FORMAT) + content)
            for number in range(count):
                raw.write(_info(f"flood/{number}", kind).tobuf(format=tarfile.GNU_FORMAT))
            raw.write(bytes(2 * tarfile.BLOCKSIZE))
        return path

    return build


def zip_flood(declared: int | None = None, count: int = FLOOD) -> Callable[[Path], Path]:
    """A bundle.json and `count` empty entries; `declared` rewrites the count the end
    record gives (zipfile ignores it, and so must the check)."""

    def build(folder: Path) -> Path:
        path = folder / "model.zip"
        with zipfile.ZipFile(path, "w") as bundle:
            bundle.writestr(BUNDLE_FILE, '{"format": "json"}')
            for number in range(count):
                bundle.writestr(f"root/flood/{number}", b"")
        if declared is not None:
            data = bytearray(path.read_bytes())
            end = data.rfind(b"PK\x05\x06")
            data[end + 8 : end + 12] = struct.pack("<HH", declared, declared)
            path.write_bytes(bytes(data))
        return path

    return build


def _zip(name: str, mode: int = stat.S_IFREG | 0o644, size: int = 16) -> Callable[[Path], Path]:
    def build(folder: Path) -> Path:
        path = folder / "model.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as bundle:
            bundle.writestr(BUNDLE_FILE, '{"format": "json"}')
            info = zipfile.ZipInfo(name)
            info.external_attr = mode << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            bundle.writestr(info, bytes(size))
        return path

    return build


ARTIFACTS = [
    Artifact(
        "absolute path",
        "model.tar.gz",
        _tar((_info("/tmp/inferline-escape.txt"), b"x")),
        "unsafe path",
    ),
    Artifact("`..` path", "model.tar.gz", _tar((_info("../escape.txt"), b"x")), "unsafe path"),
    Artifact(
        "`..` inside a folder",
        "model.tar.gz",
        _tar((_info("a/../../escape.txt"), b"x")),
        "unsafe path",
    ),
    Artifact(
        "symlink out (relative)",
        "model.tar.gz",
        _tar((_info("up", tarfile.SYMTYPE, "../.."), b"")),
        "pointing out",
    ),
    Artifact(
        "symlink out (absolute)",
        "model.tar.gz",
        _tar((_info("etc", tarfile.SYMTYPE, "/etc"), b"")),
        "pointing out",
    ),
    Artifact(
        "symlink then write through it",
        "model.tar.gz",
        _tar((_info("d", tarfile.SYMTYPE, ".."), b""), (_info("d/escape.txt"), b"x")),
        "pointing out",
    ),
    Artifact(
        "hard link out",
        "model.tar.gz",
        _tar((_info("hard", tarfile.LNKTYPE, "../escape.txt"), b"")),
        "pointing out",
    ),
    Artifact(
        "character device",
        "model.tar.gz",
        _tar((_info("dev", tarfile.CHRTYPE), b"")),
        "device or pipe",
    ),
    Artifact(
        "block device", "model.tar.gz", _tar((_info("blk", tarfile.BLKTYPE), b"")), "device or pipe"
    ),
    Artifact(
        "FIFO", "model.tar.gz", _tar((_info("fifo", tarfile.FIFOTYPE), b"")), "device or pipe"
    ),
    Artifact(
        "bomb: 64 MiB of zeros past a 1 MiB limit",
        "model.tar.gz",
        _tar_bomb,
        "expands past",
        extracted_bytes=LIMIT,
    ),
    Artifact(
        "bomb: a header claiming 2 TiB (default limit)", "model.tar.gz", _tar_claims, "expands past"
    ),
    Artifact("absolute path", "MLeap zip", _zip("/etc/escape.json"), "unsafe path"),
    Artifact("`..` path", "MLeap zip", _zip("../escape.json"), "unsafe path"),
    Artifact(
        "symlink", "MLeap zip", _zip("root/link", stat.S_IFLNK | 0o777), "link, device or pipe"
    ),
    Artifact(
        "character device",
        "MLeap zip",
        _zip("root/dev", stat.S_IFCHR | 0o644),
        "link, device or pipe",
    ),
    Artifact(
        "bomb: 64 MiB of zeros past a 1 MiB limit",
        "MLeap zip",
        _zip("root/model.json", size=BOMB_BYTES),
        "expands past",
        extracted_bytes=LIMIT,
    ),
    Artifact(
        f"flood: {FLOOD} empty files past a limit of {MEMBERS} members",
        "model.tar.gz",
        tar_flood(tarfile.REGTYPE),
        "more than 1000 members",
        members=MEMBERS,
    ),
    Artifact(
        f"flood: {FLOOD} empty folders past a limit of {MEMBERS} members",
        "model.tar.gz",
        tar_flood(tarfile.DIRTYPE),
        "more than 1000 members",
        members=MEMBERS,
    ),
    Artifact(
        f"flood: {FLOOD} empty entries past a limit of {MEMBERS} members",
        "MLeap zip",
        zip_flood(),
        "more than 1000 members",
        members=MEMBERS,
    ),
    Artifact(
        f"flood: {FLOOD} entries declaring 2, past a limit of {MEMBERS} members",
        "MLeap zip",
        zip_flood(declared=2),
        "more than 1000 members",
        members=MEMBERS,
    ),
]
