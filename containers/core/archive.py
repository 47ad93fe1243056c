"""The model archive: model.tar.gz, what SageMaker extracts into /opt/ml/model.

One module reads and writes it; `modeldir.resolve` uses it to turn an archive into
the directory a container serves. Reading (`extract`) refuses any member that could
land outside the target: absolute paths, `..`, links pointing out of the directory,
devices and FIFOs. Writing (`write`) is reproducible: members sorted, no timestamps,
owners or umask-dependent modes, and a gzip header without name or time, so the same
files always give the same bytes (an archive's hash identifies its model).
"""

from __future__ import annotations

import gzip
import stat
import tarfile
from pathlib import Path, PurePosixPath

from inferline.containers.core.errors import ModelLoadError

__all__ = ["ARCHIVE_NAME", "SUFFIXES", "extract", "is_archive", "write"]

ARCHIVE_NAME = "model.tar.gz"
SUFFIXES = (".tar.gz", ".tgz", ".tar")
# Modes written whatever the umask was (executables keep their bit).
_FILE_MODE, _EXECUTABLE_MODE, _DIRECTORY_MODE = 0o644, 0o755, 0o755


def is_archive(path: Path) -> bool:
    """Whether `path` is a file named like a model archive (.tar.gz, .tgz, .tar)."""
    return path.is_file() and path.name.endswith(SUFFIXES)


def extract(archive: Path, target: Path) -> None:
    """Extract `archive` into `target`, refusing any member that could escape it.

    Every member is checked before anything is written, so an unsafe archive leaves
    `target` untouched; tarfile's "data" filter then applies the same rules again.

    Raises:
        ModelLoadError: the archive is unreadable or holds an unsafe member.
    """
    try:
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                _check(member, archive)
            tar.extractall(target, filter="data")
    except (tarfile.TarError, OSError, EOFError) as error:
        raise ModelLoadError(f"cannot extract {archive}: {error}") from None


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
