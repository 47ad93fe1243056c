"""The docker engine, driven through the `docker` command line.

The CLI is what every machine with an engine has (no SDK to install), and its output is
what a user would see running the same command by hand::

    if engine.available():
        engine.run(["build", "--network", "host", "-t", "inferline-sklearn", context])
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from inferline.containers.core.errors import EngineError

DOCKER = "docker"
INFO_SECONDS = 15.0


def available() -> bool:
    """True when the docker command exists and its engine answers `docker info`."""
    if shutil.which(DOCKER) is None:
        return False
    try:
        probe = subprocess.run(
            [DOCKER, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            timeout=INFO_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return False
    return probe.returncode == 0


def require() -> None:
    """Raise a clear EngineError unless an engine answers."""
    if shutil.which(DOCKER) is None:
        raise EngineError("the docker command is not installed (Debian: apt-get install docker.io)")
    if not available():
        raise EngineError(
            "no docker engine answers `docker info`; start one "
            "(as root: dockerd --iptables=false --bridge=none &)"
        )


def run(args: Sequence[str | Path], *, stdin: IO[bytes] | None = None, quiet: bool = False) -> None:
    """Run `docker ARGS...`, its output going to ours unless `quiet`.

    Raises:
        EngineError: the command failed (with its error output when `quiet`).
    """
    command = [DOCKER, *map(str, args)]
    result = subprocess.run(command, stdin=stdin, capture_output=quiet, text=quiet, check=False)
    if result.returncode != 0:
        detail = f": {result.stderr.strip()}" if quiet else f" with exit code {result.returncode}"
        raise EngineError(f"`docker {args[0]}` failed{detail}")


def output(args: Sequence[str | Path]) -> str:
    """The standard output of `docker ARGS...`; raise EngineError with its stderr if it fails."""
    command = [DOCKER, *map(str, args)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise EngineError(f"`{' '.join(command)}` failed: {result.stderr.strip()}")
    return result.stdout.strip()


def image_exists(tag: str) -> bool:
    """True when the engine holds an image tagged `tag`."""
    probe = subprocess.run([DOCKER, "image", "inspect", tag], capture_output=True, check=False)
    return probe.returncode == 0


def image_size(tag: str) -> int:
    """The uncompressed size of image `tag` in bytes, as `docker images` shows it."""
    return int(output(["image", "inspect", "--format", "{{.Size}}", tag]))
