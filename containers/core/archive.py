"""The model archive: model.tar.gz, what SageMaker extracts into /opt/ml/model.

One module reads and writes it; `modeldir.resolve` uses it to turn an archive into
the directory a container serves. Reading (`extract`) refuses any member that could
land outside the target: absolute paths, `..`, links pointing out of the directory,
devices and FIFOs; and it refuses an archive whose members add up to more than a
limit on extracted bytes (a decompression bomb: a few KB of gzip expanding to
terabytes), checked from the tar headers before a byte is written, and one holding
more than a limit on members (millions of empty files or folders exhaust inodes and
time, and a bytes limit never sees them), counted while the headers are read, so a
huge listing is never held. `check_zip_members` and `check_zip` apply the same rules to
a zip (an MLeap bundle) before and after opening it. Writing (`write`)
is reproducible: members sorted, no timestamps, owners or umask-dependent modes, and
a gzip header without name or time, so the same files always give the same bytes (an
archive's hash identifies its model).
"""

from __future__ import annotations

import gzip
import shutil
import stat
import struct
import tarfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from inferline.containers.core.errors import ModelLoadError

__all__ = [
    "ARCHIVE_NAME",
    "MAX_ARCHIVE_MEMBERS",
    "MAX_EXTRACTED_BYTES",
    "SUFFIXES",
    "check_zip",
    "check_zip_members",
    "default_limit",
    "extract",
    "is_archive",
    "write",
]

ARCHIVE_NAME = "model.tar.gz"
SUFFIXES = (".tar.gz", ".tgz", ".tar")
# Modes written whatever the umask was (executables keep their bit).
_FILE_MODE, _EXECUTABLE_MODE, _DIRECTORY_MODE = 0o644, 0o755, 0o755


MAX_EXTRACTED_BYTES = 256 * 1024**3
"""The most a model archive may expand to by default (256 GiB): past any real model."""
FREE_SPACE_SHARE = 0.5
"""By default an extraction may take at most this share of the target's free space."""
MAX_ARCHIVE_MEMBERS = 100_000
"""The most members (files, folders, links) a model archive or bundle may hold by default
(INFERLINE_MAX_ARCHIVE_MEMBERS): real models hold a few to a few thousand."""


def default_limit(target: Path) -> int:
    """Bytes an archive may expand to in `target` when no limit is set.

    The smaller of MAX_EXTRACTED_BYTES and half the free space where `target` is (or
    would be), so a multi-GB model passes and an extraction never fills the disk.
    """
    existing = next((p for p in (target, *target.parents) if p.exists()), Path("/"))
    free = shutil.disk_usage(existing).free
    return min(MAX_EXTRACTED_BYTES, int(free * FREE_SPACE_SHARE))


def is_archive(path: Path) -> bool:
    """Whether `path` is a file named like a model archive (.tar.gz, .tgz, .tar)."""
    return path.is_file() and path.name.endswith(SUFFIXES)


def extract(
    archive: Path, target: Path, limit: int | None = None, members: int = MAX_ARCHIVE_MEMBERS
) -> None:
    """Extract `archive` into `target`, refusing any member that could escape it.

    Every member is checked before anything is written, so an unsafe archive leaves
    `target` untouched; tarfile's "data" filter then applies the same rules again.
    `limit` caps the bytes the members add up to (default: `default_limit(target)`),
    `members` their number; reading the headers decompresses the stream but writes
    nothing.

    Raises:
        ModelLoadError: the archive is unreadable, holds an unsafe member, would
            expand past `limit`, or holds more than `members` members.
    """
    allowed = default_limit(target) if limit is None else limit
    try:
        with tarfile.open(archive) as tar:
            total = 0
            # Headers one at a time: a bomb stops at the limit, a flood of members at
            # the count (tarfile keeps only the headers read so far).
            for count, member in enumerate(tar, start=1):
                if count > members:
                    raise ModelLoadError(_too_many(archive, members))
                _check(member, archive)
                total += member.size if member.isreg() else 0
                if total > allowed:
                    raise ModelLoadError(_too_large(archive, allowed))
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelLoadError(f"cannot extract {archive}: {error}") from None


# The zip format's end-of-central-directory records and central file header (PKWARE's
# APPNOTE.TXT 4.3.12-4.3.16), the layouts zipfile itself reads.
_END = struct.Struct("<4s4H2LH")
_END_SIGNATURE = b"PK\x05\x06"
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64_LOCATOR_SIGNATURE = b"PK\x06\x07"
_END64_SIZE = 56
_END64_SIGNATURE = b"PK\x06\x06"
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_MAX_COMMENT = 0xFFFF


def check_zip_members(path: Path, members: int = MAX_ARCHIVE_MEMBERS) -> None:
    """Refuse a zip holding more than `members` entries, before `zipfile` opens it.

    `zipfile.ZipFile` builds a ZipInfo for every entry of the central directory as it
    opens (and ignores the count the archive declares), so a zip of millions of empty
    entries costs gigabytes before anything could count them. This walks the central
    directory's headers from the file, as zipfile would read them, and stops as soon as
    the count passes `members`. A zip it cannot make sense of is left to zipfile,
    which says what is wrong with it.

    Raises:
        ModelLoadError: the message names the limit and INFERLINE_MAX_ARCHIVE_MEMBERS.
    """
    with path.open("rb") as stream:
        found = _central_directory(stream)
        if found is None:
            return
        start, size = found
        stream.seek(start)
        count = consumed = 0
        while consumed < size:
            header = stream.read(_CENTRAL_HEADER.size)
            if len(header) < _CENTRAL_HEADER.size or header[:4] != _CENTRAL_SIGNATURE:
                return  # malformed: zipfile refuses it with its own message
            fields = _CENTRAL_HEADER.unpack(header)
            skip = fields[12] + fields[13] + fields[14]  # name, extra and comment lengths
            stream.seek(skip, 1)
            consumed += _CENTRAL_HEADER.size + skip
            count += 1
            if count > members:
                raise ModelLoadError(_too_many(path, members))


def _central_directory(stream: BinaryIO) -> tuple[int, int] | None:
    """(offset, size) of a zip's central directory, found as zipfile finds it."""
    end = stream.seek(0, 2)
    tail_start = max(0, end - _END.size - _MAX_COMMENT)
    stream.seek(tail_start)
    tail = stream.read()
    at = tail.rfind(_END_SIGNATURE)
    if at < 0 or len(tail) - at < _END.size:
        return None
    size: int = _END.unpack_from(tail, at)[5]
    record = tail_start + at
    locator_at = record - _END64_LOCATOR.size
    if locator_at >= 0:
        stream.seek(locator_at)
        locator = stream.read(_END64_LOCATOR.size)
        if locator[:4] == _END64_LOCATOR_SIGNATURE:
            # Zip64: the 64-bit sizes sit in the record just before the locator.
            if locator_at < _END64_SIZE:
                return None
            stream.seek(locator_at - _END64_SIZE)
            record64 = stream.read(_END64_SIZE)
            if record64[:4] != _END64_SIGNATURE:
                return None
            size = struct.unpack_from("<Q", record64, 40)[0]  # its central directory size
            record = locator_at - _END64_SIZE
    # As zipfile does: the directory ends where the end records begin, whatever offset
    # it declares (data prepended to an archive shifts that offset).
    return max(0, record - size), size


def check_zip(bundle: zipfile.ZipFile, path: Path, limit: int) -> None:
    """Refuse a zip (an MLeap bundle) with unsafe members or expanding past `limit`.

    The same rules as `extract` for tar members: no absolute paths or `..`, no links,
    devices or pipes (the zip's Unix mode bits), and declared sizes adding up to at
    most `limit` (zipfile never inflates a member past its declared size).

    Raises:
        ModelLoadError: the message names the member, or the limit.
    """
    total = 0
    for info in bundle.infolist():
        name = PurePosixPath(info.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or ":" in (name.parts or ("",))[0]:
            raise ModelLoadError(f"{path} holds an unsafe path {info.filename!r}; refusing it")
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ModelLoadError(
                f"{path} holds a link, device or pipe {info.filename!r}; refusing it"
            )
        total += info.file_size
        if total > limit:
            raise ModelLoadError(_too_large(path, limit))


def _too_many(archive: Path, members: int) -> str:
    return (
        f"{archive} holds more than {members} members (files, folders and links), the limit "
        f"on a model archive's members (INFERLINE_MAX_ARCHIVE_MEMBERS, by default "
        f"{MAX_ARCHIVE_MEMBERS}); refusing to extract it"
    )


def _too_large(archive: Path, limit: int) -> str:
    return (
        f"{archive} expands past {limit} bytes, the limit on extracted model files "
        "(INFERLINE_MAX_EXTRACTED_BYTES; by default the smaller of 256 GiB and half the "
        "free disk); refusing to extract it"
    )


def _check(member: tarfile.TarInfo, archive: Path) -> None:
    name = PurePosixPath(member.name)
    if name.is_absolute() or ".." in name.parts:
        raise ModelLoadError(f"{archive} holds an unsafe path {member.name!r}; refusing to extract")
    if member.isdev() or member.isfifo():
        raise ModelLoadError(
            f"{archive} holds a device or pipe {member.name!r}; refusing to extract"
        )
    if member.issym() or member.islnk():
        # A symlink resolves against its own folder, a hard link against the archive root.
        link = PurePosixPath(member.linkname)
        resolved = name.parent / link if member.issym() else link
        if link.is_absolute() or not _stays_inside(resolved):
            raise ModelLoadError(
                f"{archive} holds a link {member.name!r} -> {member.linkname!r} pointing out "
                "of the model directory; refusing to extract"
            )


def _stays_inside(path: PurePosixPath) -> bool:
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else 0 if part in ("", ".") else 1
        if depth < 0:
            return False
    return True


def write(source: Path, target: Path) -> Path:
    """Write `source`'s contents as a gzipped tar at `target`, reproducibly.

    The members are `source`'s files and folders relative to it (SageMaker extracts
    them straight into /opt/ml/model), in sorted order, with mtime 0, uid/gid 0, no
    owner names, and mode 0644 (0755 for folders and executables).

    Raises:
        ValueError: `source` holds something other than regular files and folders
            (a symlink, socket or device), which a model archive has no use for.
    """
    paths = sorted(source.rglob("*"), key=lambda p: p.relative_to(source).as_posix())
    target.parent.mkdir(parents=True, exist_ok=True)
    # GzipFile with an empty name and mtime 0: the header would otherwise carry the
    # archive's file name and the time of writing.
    with target.open("wb") as raw, gzip.GzipFile("", "wb", fileobj=raw, mtime=0) as gz:
        with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for path in paths:
                info = _member(path, path.relative_to(source).as_posix())
                if info.isdir():
                    tar.addfile(info)
                    continue
                with path.open("rb") as content:
                    tar.addfile(info, content)
    return target


def _member(path: Path, name: str) -> tarfile.TarInfo:
    """The member header for `path`, with everything but name, size and mode fixed."""
    info = tarfile.TarInfo(name)
    info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
    mode = path.lstat().st_mode
    if stat.S_ISDIR(mode):
        info.type, info.mode = tarfile.DIRTYPE, _DIRECTORY_MODE
        return info
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path} is not a regular file or folder; model archives hold only those")
    info.size = path.lstat().st_size
    info.mode = _EXECUTABLE_MODE if mode & stat.S_IXUSR else _FILE_MODE
    return info
