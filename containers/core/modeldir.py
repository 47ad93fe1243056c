"""The model directory a container serves: a directory, or a model.tar.gz to extract.

SageMaker extracts ModelDataUrl into /opt/ml/model before the container starts; for
local runs a model.tar.gz may be given instead, and `archive.extract` unpacks it with
the same care (no absolute paths, no `..`, no links out, no devices).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from inferline.containers.core.archive import extract, is_archive
from inferline.containers.core.errors import ModelLoadError

# `extract` and `is_archive` stay importable from here for existing callers.
__all__ = ["extract", "is_archive", "resolve"]


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
