"""The wheelhouse an image installs from, built on the host with pip.

Images install with ``pip --no-index`` from the wheels gathered here: no network and no
TLS inside the build, and the exact same versions every time. pip gathers them with the
project's ``constraints.txt`` (the pins ``make test`` installs too), so an image ships the
versions the tests ran. ``requirements.txt`` pins every wheel, so it is also the list of
what an image holds::

    wheelhouse.build(IMAGES["sklearn"], project_dir, context / "wheels")

Wheels are built by the host's Python, so it must be the base image's minor version
(3.11 for python:3.11-slim and the local bookworm base); pip inside the build refuses
wheels that do not fit.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from inferline.containers.core.errors import BuildError, ConfigurationError
from inferline.containers.images import Image
from inferline.containers.images.debuginfo import strip_wheels

PROJECT = "inferline"
REQUIREMENTS = "requirements.txt"
# Beside setup.cfg: every third-party distribution of every extra, pinned (`make constraints`).
CONSTRAINTS = "constraints.txt"
# Left out of the copy the project's wheel is built from: a stale build/lib would
# otherwise put modules that no longer exist into the image.
NOT_SOURCES = (
    ".git",
    ".venv",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".*_cache",
    "artifacts",
    "wheelhouse",
)
# A fixed date inside the project's wheel keeps it byte-identical between builds, so
# docker reuses its layers while nothing changed.
SOURCE_DATE_EPOCH = "1700000000"


def build(image: Image, project_dir: Path, wheels: Path) -> Path:
    """Gather the wheels of ``inferline[<image.extras>]`` into `wheels`; return its requirements.

    Every distribution is at its pin in the project's constraints.txt.

    Raises:
        ConfigurationError: the project does not declare one of the image's extras, or has
            no constraints.txt.
        BuildError: pip fails (its output is shown), say for a requirement its pin breaks.
    """
    _check_extras(image, project_dir)
    constraints = _constraints(project_dir)
    if wheels.exists():
        shutil.rmtree(wheels)
    wheels.mkdir(parents=True)
    with tempfile.TemporaryDirectory(prefix="inferline-source-") as folder:
        source = Path(folder) / PROJECT
        shutil.copytree(project_dir, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
        _pip_wheel(f"{source}[{','.join(image.extras)}]", constraints, wheels)
    strip_wheels(wheels)  # fastText's 20 MB of debug sections, say (debuginfo.py)
    return write_requirements(wheels, image.extras)


def write_requirements(wheels: Path, extras: tuple[str, ...]) -> Path:
    """Pin every wheel in `wheels` (the project with its extras) in requirements.txt."""
    lines = []
    for name, version in sorted(_name_version(path) for path in wheels.glob("*.whl")):
        if name == PROJECT:
            name = f"{PROJECT}[{','.join(extras)}]"
        lines.append(f"{name}=={version}\n")
    requirements = wheels / REQUIREMENTS
    requirements.write_text("".join(lines))
    return requirements


def _name_version(wheel: Path) -> tuple[str, str]:
    # A wheel's file name is {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl,
    # where name and version never hold a dash.
    name, version = wheel.name.split("-")[:2]
    return name.lower().replace("_", "-"), version


def _check_extras(image: Image, project_dir: Path) -> None:
    config = configparser.ConfigParser()
    config.read(project_dir / "setup.cfg")
    declared = (
        set(config["options.extras_require"])
        if config.has_section("options.extras_require")
        else set()
    )
    missing = [extra for extra in image.extras if extra not in declared]
    if missing:
        raise ConfigurationError(
            f"image {image.name} installs inferline[{','.join(image.extras)}], but setup.cfg "
            f"declares no extra {', '.join(missing)}"
        )


def _constraints(project_dir: Path) -> Path:
    constraints = project_dir / CONSTRAINTS
    if not constraints.is_file():
        raise ConfigurationError(
            f"{constraints} does not exist: an image installs the pinned versions the tests "
            "ran with; write it with `make constraints`"
        )
    return constraints


def _pip_wheel(requirement: str, constraints: Path, wheels: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "pip",
        "wheel",
        "--quiet",
        "--prefer-binary",
        "--constraint",
        str(constraints),
        "--wheel-dir",
        str(wheels),
        requirement,
    ]
    environ = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    result = subprocess.run(command, capture_output=True, text=True, env=environ, check=False)
    if result.returncode != 0:
        raise BuildError(f"pip wheel {requirement} failed:\n{result.stdout}{result.stderr}")
