"""The model directory a container serves: a directory, or a model.tar.gz to extract.

SageMaker extracts ModelDataUrl into /opt/ml/model before the container starts; for
local runs a model.tar.gz may be given instead, and `archive.extract` unpacks it with
the same care (no absolute paths, no `..`, no links out, no devices, no bombs, no
floods of members: at most `members`, INFERLINE_MAX_ARCHIVE_MEMBERS).

An archive is extracted once into a cache folder (`CACHE_DIR`, named by the archive's
path, size and mtime) and shared: every server of it holds a shared `flock` on the
extraction's lock file for as long as it runs (a second lock file serialises the
extracting itself), so a crash restart finds and reuses
what the crashed server extracted, and the last server to stop cleanly removes it::

    with modeldir.open_model_dir(path) as model_dir:   # extracted, or reused
        serve(model_dir)                               # removed on exit if no one else uses it

The kernel drops a dead process's locks, so a crashed server never keeps an
extraction alive; an extraction cut off half-way is never reused (it is written
under a temporary name and renamed when complete).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from inferline.containers.core.archive import MAX_ARCHIVE_MEMBERS, extract, is_archive
from inferline.containers.core.errors import ModelLoadError

# `extract` and `is_archive` stay importable from here for existing callers.
__all__ = ["CACHE_DIR", "Extraction", "extract", "is_archive", "open_model_dir", "resolve"]

CACHE_DIR = Path(tempfile.gettempdir()) / "inferline-models"
"""Where archives given to `inferline serve` are extracted, one folder per archive."""
_PARTIAL = ".partial-"


def resolve(
    path: Path,
    extract_to: Path | None = None,
    limit: int | None = None,
    members: int = MAX_ARCHIVE_MEMBERS,
) -> Path:
    """The directory to load the model from, extracting an archive into `extract_to`.

    The caller owns `extract_to` (it is not removed); without one, the extraction is
    a shared cached one that stays until `Extraction.release` (see `open_model_dir`).
    `limit` and `members` bound the archive's bytes and members (`archive.extract`).

    Raises:
        ModelLoadError: the path is missing, or the archive is unreadable or unsafe.
    """
    if not _is_archive_path(path):
        return path
    if extract_to is not None:
        extract(path, extract_to, limit, members)
        return extract_to
    return Extraction.acquire(path, limit, members=members).directory


@contextmanager
def open_model_dir(
    path: Path, limit: int | None = None, members: int = MAX_ARCHIVE_MEMBERS
) -> Iterator[Path]:
    """The model directory for `path`; an extraction of it is released on exit."""
    if not _is_archive_path(path):
        yield path
        return
    extraction = Extraction.acquire(path, limit, members=members)
    try:
        yield extraction.directory
    finally:
        extraction.release()


def _is_archive_path(path: Path) -> bool:
    """True for an archive; False for a directory; else a ModelLoadError naming `path`."""
    if path.is_dir():
        return False
    if not path.exists():
        raise ModelLoadError(f"model directory {path} does not exist")
    if not is_archive(path):
        raise ModelLoadError(f"{path} is neither a directory nor a .tar.gz archive")
    return True


@dataclass
class Extraction:
    """A cached extraction of one archive, held (shared lock) by this process."""

    directory: Path
    lock: IO[bytes]
    owner: int
    """The process that acquired it: a forked worker exiting must not release it."""

    @classmethod
    def acquire(
        cls,
        archive: Path,
        limit: int | None = None,
        cache: Path = CACHE_DIR,
        members: int = MAX_ARCHIVE_MEMBERS,
    ) -> Extraction:
        """The extraction of `archive`, made now or reused, held until `release`.

        Raises:
            ModelLoadError: the archive is unreadable, unsafe, too large or holds too
                many members (nothing of it is left behind).
        """
        cache.mkdir(mode=0o700, parents=True, exist_ok=True)
        directory = cache / f"inferline-model-{_key(archive)}"
        # Opened, not `with`: the users' lock is held for the server's whole life.
        lock = directory.with_name(directory.name + ".lock").open("ab")
        try:
            # Shared by every server of it; exclusive only for the last one's removal.
            fcntl.flock(lock, fcntl.LOCK_SH)
            if not directory.is_dir():
                # A second lock for extracting, so servers waiting for an extraction
                # never block the users' lock (a downgrade there would not be atomic).
                with directory.with_name(directory.name + ".extracting").open("ab") as mutex:
                    fcntl.flock(mutex, fcntl.LOCK_EX)
                    if not directory.is_dir():
                        _extract_atomically(archive, directory, limit, members)
        except BaseException:
            lock.close()
            raise
        return cls(directory, lock, os.getpid())

    def release(self) -> None:
        """Stop holding it; remove it if no other server holds it. Idempotent."""
        if os.getpid() != self.owner or self.lock.closed:
            return
        try:
            fcntl.flock(self.lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another server still serves from it; the last one out removes it
        else:
            shutil.rmtree(self.directory, ignore_errors=True)
        finally:
            self.lock.close()


def _key(archive: Path) -> str:
    """The archive's identity: its real path, size and modification time."""
    info = archive.stat()
    identity = f"{archive.resolve()}\0{info.st_size}\0{info.st_mtime_ns}"
    return hashlib.sha256(identity.encode()).hexdigest()[:16]


def _extract_atomically(archive: Path, directory: Path, limit: int | None, members: int) -> None:
    """Extract under a temporary name and rename: a half extraction is never reused."""
    for stale in directory.parent.glob(directory.name + _PARTIAL + "*"):
        shutil.rmtree(stale, ignore_errors=True)  # cut off by a crash; we hold the lock
    partial = directory.with_name(f"{directory.name}{_PARTIAL}{os.getpid()}")
    partial.mkdir(mode=0o755)
    try:
        extract(archive, partial, limit, members)
        partial.rename(directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
