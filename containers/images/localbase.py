"""A Debian bookworm base image made on this machine, for engines that cannot pull.

Where no registry is reachable, ``FROM python:3.11-slim`` cannot be pulled. This base
stands in for it: debootstrap's minimal variant with Debian's Python 3.11 (the same
minor version as python:3.11-slim, so the same wheels fit), trimmed as the slim images
are (no docs, man pages, locales or apt lists), and imported with ``docker import``.
It is made once and reused: ``ensure()`` does nothing when the tag already exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from inferline.containers.core.errors import BuildError
from inferline.containers.images import engine

TAG = "inferline-base:bookworm"
SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
# Removed after debootstrap; paths are rootfs-relative. Docs, locales and apt's caches
# as python:3.11-slim leaves them out, and glibc's iconv modules (8 MB), which Python,
# having its own codecs, never loads.
TRIMMED = (
    "usr/share/doc",
    "usr/share/man",
    "usr/share/info",
    "usr/share/locale",
    "var/cache/apt",
    "var/lib/apt/lists",
    "var/log",
    "usr/lib/x86_64-linux-gnu/gconv",
)
# docker import makes an image without config; give it what python:3.11-slim sets.
CHANGES = ("ENV LANG=C.UTF-8", 'CMD ["python3"]')


def ensure(tag: str = TAG, scratch: Path | None = None) -> str:
    """Make the base image `tag` unless the engine has it already; return the tag.

    Args:
        tag: the image tag to create or reuse.
        scratch: where the root filesystem is assembled (a temporary folder is removed
            afterwards); default: the system's temporary directory.

    Raises:
        BuildError: not root, debootstrap missing or failing, or the import failing.
    """
    if engine.image_exists(tag):
        return tag
    _check_tools()
    with tempfile.TemporaryDirectory(prefix="inferline-base-", dir=scratch) as folder:
        rootfs = Path(folder) / "rootfs"
        _bootstrap(rootfs)
        _trim(rootfs)
        _import(rootfs, tag)
    return tag


def _check_tools() -> None:
    if os.geteuid() != 0:
        raise BuildError("--local-base runs debootstrap, which needs root")
    if shutil.which("debootstrap") is None:
        raise BuildError("--local-base needs debootstrap (Debian: apt-get install debootstrap)")


def _bootstrap(rootfs: Path) -> None:
    command = [
        "debootstrap",
        "--variant=minbase",
        f"--include={','.join(PACKAGES)}",
        SUITE,
        str(rootfs),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        log = (result.stdout + result.stderr).strip().splitlines()[-20:]
        raise BuildError("debootstrap failed:\n" + "\n".join(log))


def _trim(rootfs: Path) -> None:
    for relative in TRIMMED:
        folder = rootfs / relative
        if folder.is_dir():
            shutil.rmtree(folder)
            folder.mkdir()  # apt and dpkg expect these folders to exist


def _import(rootfs: Path, tag: str) -> None:
    changes = [arg for change in CHANGES for arg in ("--change", change)]
    with subprocess.Popen(
        # tar from PATH, as the build host has it
        ["tar", "--numeric-owner", "-C", str(rootfs), "-c", "."],  # noqa: S607
        stdout=subprocess.PIPE,
    ) as tar:
        engine.run(["import", *changes, "-", tag], stdin=tar.stdout)
    if tar.returncode != 0:
        raise BuildError(f"tar of {rootfs} failed with exit code {tar.returncode}")
