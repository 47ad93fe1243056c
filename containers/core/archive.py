"""The model archive: model.tar.gz, what SageMaker extracts into /opt/ml/model.

One module reads and writes it; `modeldir.resolve` uses it to turn an archive into
the directory a container serves. Reading (`extract`) refuses any member that could
land outside the target: absolute paths, `..`, links pointing out of the directory,
devices and FIFOs; and it refuses an archive whose members add up to more than a
limit on extracted bytes (a decompression bomb: a few KB of gzip expanding to
terabytes), checked from the tar headers before a byte is written. Writing (`write`)
is reproducible: members sorted, no timestamps, owners or umask-dependent modes, and
a gzip header without name or time, so the same files always give the same bytes (an
archive's hash identifies its model).
"""

from __future__ import annotations

import gzip
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from inferline.containers.core.errors import ModelLoadError

__all__ = [
    "ARCHIVE_NAME",
    "MAX_EXTRACTED_BYTES",
    "SUFFIXES",
    "check_zip",
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


def extract(archive: Path, target: Path, limit: int | None = None) -> None:
    """Extract `archive` into `target`, refusing any member that could escape it.

    Every member is checked before anything is written, so an unsafe archive leaves
    `target` untouched; tarfile's "data" filter then applies the same rules again.
    `limit` caps the bytes the members add up to (default: `default_limit(target)`);
    reading the headers decompresses the stream but writes nothing.

    Raises:
        ModelLoadError: the archive is unreadable, holds an unsafe member, or would
            expand past `limit`.
    """
    allowed = default_limit(target) if limit is None else limit
    try:
        with tarfile.open(archive) as tar:
            total = 0
            for member in tar:  # headers one at a time: a bomb stops at the limit
                _check(member, archive)
                total += member.size if member.isreg() else 0
                if total > allowed:
                    raise ModelLoadError(_too_large(archive, allowed))
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelLoadError(f"cannot extract {archive}: {error}") from None


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
