"""A requirements.txt beside the script: satisfied, installed on request, or refused.

AWS's container pip-installs it at start. inferline installs only when
INFERLINE_SKLEARN_INSTALL_REQUIREMENTS=true: otherwise a requirement this environment
does not already satisfy stops the start with a message naming it (never silently
ignored). pip's own failure (offline, no such package) stops it the same way.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from inferline.containers.core.errors import ModelLoadError

__all__ = ["FILE_NAME", "SETTING", "ensure", "unsatisfied"]

log = logging.getLogger("inferline.sklearn")

FILE_NAME = "requirements.txt"
SETTING = "INFERLINE_SKLEARN_INSTALL_REQUIREMENTS"
_PIP_TAIL_LINES = 8


def unsatisfied(requirements: Path) -> list[str]:
    """The lines of `requirements` this environment does not satisfy as it is.

    A line packaging cannot read as a requirement (an option, a URL, ``-e``) counts as
    unsatisfied: only pip can tell what it needs.
    """
    missing = []
    for raw in requirements.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            missing.append(line)
            continue
        if requirement.marker is not None and not requirement.marker.evaluate():
            continue
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            missing.append(line)
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            missing.append(f"{line} (installed: {installed})")
    return missing


def ensure(code_dir: Path, allowed: bool) -> None:
    """Make `code_dir`'s requirements.txt hold here, installing it if `allowed`.

    Raises:
        ModelLoadError: a requirement is unmet and installing is not allowed, or pip failed.
    """
    requirements = code_dir / FILE_NAME
    if not requirements.is_file():
        return
    missing = unsatisfied(requirements)
    if not missing:
        log.info("%s: every requirement is already installed", requirements)
        return
    if not allowed:
        raise ModelLoadError(
            f"{requirements} needs {', '.join(missing)}, which this environment lacks; "
            f"install them into the image, or set {SETTING}=true to pip-install them at start"
        )
    if importlib.util.find_spec("pip") is None:
        raise ModelLoadError(
            f"{requirements} needs {', '.join(missing)}, and this environment has no pip "
            "(the inferline images ship none): install them into the image"
        )
    log.info("installing %s: %s", requirements, ", ".join(missing))
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--disable-pip-version-check"]
        + ["-r", str(requirements)],
        cwd=code_dir,  # relative paths in the file are the code folder's, as on AWS
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-_PIP_TAIL_LINES:])
        raise ModelLoadError(f"pip could not install {requirements} (offline?):\n{tail}")
    # Folders on sys.path that pip just filled must be read again.
    importlib.invalidate_caches()
