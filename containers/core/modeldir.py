"""The model directory a container serves: a directory, or a model.tar.gz to extract.

SageMaker extracts ModelDataUrl into /opt/ml/model before the container starts; for
local runs a model.tar.gz may be given instead, and is extracted here with the same
care: no absolute paths, no `..`, no links out of the directory, no devices.
"""

from __future__ import annotations

import tarfile
import tempfile
from pathlib import Path, PurePosixPath

from inferline.containers.core.errors import ModelLoadError

ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar")


def is_archive(path: Path) -> bool:
    return path.is_file() and path.name.endswith(ARCHIVE_SUFFIXES)


def resolve(path: Path, extract_to: Path | None = None) -> Path:
    """The directory to load the model from, extracting an archive if given one.

    Raises:
        ModelLoadError: the path is missing, or the archive is unreadable or unsafe.
    """
    if path.is_dir():
        return path
    if not path.exists():
        raise ModelLoadError(f"model directory {path} does not exist")
    if not is_archive(path):
        raise ModelLoadError(f"{path} is neither a directory nor a .tar.gz archive")
    target = extract_to or Path(tempfile.mkdtemp(prefix="inferline-model-"))
    extract(path, target)
    return target


def extract(archive: Path, target: Path) -> None:
    """Extract `archive` into `target`, refusing any member that could escape it."""
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
