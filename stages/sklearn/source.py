"""Where an inference script comes from: code/, or SAGEMAKER_SUBMIT_DIRECTORY.

As in AWS's scikit-learn container, SAGEMAKER_PROGRAM names the entry script (``.py``
may be left off) and SAGEMAKER_SUBMIT_DIRECTORY where it lives: a folder, a
``sourcedir.tar.gz`` (a path or ``file://``), or an ``s3://`` URL of one (or of a prefix
holding the files). Without it the
script is looked for in ``<model_dir>/code``, where the SDK's repacking puts it. A submit
directory under /opt/ml/model (the SDK writes ``/opt/ml/model/code``) is read from the
model directory actually served, so a model served from elsewhere still finds its code.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlparse

from inferline.containers.core.archive import extract, is_archive
from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.settings import DEFAULT_MODEL_DIR, Settings

__all__ = ["DEFAULT_PROGRAM", "SUBMIT_DIRECTORY", "locate", "program_file", "submit_directory"]

DEFAULT_PROGRAM = "inference.py"
SUBMIT_DIRECTORY = "SAGEMAKER_SUBMIT_DIRECTORY"


def program_file(program: str | None) -> str:
    """The entry script's file name: SAGEMAKER_PROGRAM, with .py added when left off."""
    name = program or DEFAULT_PROGRAM
    return name if name.endswith(".py") else f"{name}.py"


def submit_directory(raw: str, model_dir: Path) -> Path:
    """The local folder holding the user's code, fetching or extracting it when needed.

    Raises:
        ModelLoadError: the folder or archive does not exist, or cannot be fetched.
    """
    parsed = urlparse(raw)
    if parsed.scheme == "s3":
        downloaded = _download(raw)
        return downloaded if downloaded.is_dir() else _unpacked(downloaded, raw)
    if parsed.scheme not in ("", "file"):
        raise ModelLoadError(f"{SUBMIT_DIRECTORY}={raw}: use a folder, a .tar.gz or an s3:// URL")
    path = Path(unquote(parsed.path) if parsed.scheme else raw)
    path = _in_model_dir(path, model_dir)
    if path.is_dir():
        return path
    if path.is_file() and is_archive(path):
        return _unpacked(path, raw)
    raise ModelLoadError(f"{SUBMIT_DIRECTORY}={raw}: {path} is neither a folder nor a .tar.gz")


def locate(model_dir: Path, settings: Settings) -> Path:
    """The entry script's path.

    Raises:
        ModelLoadError: the script is in none of the places looked in.
    """
    name = program_file(settings.program)
    raw = settings.environ.get(SUBMIT_DIRECTORY, "").strip()
    folders = [submit_directory(raw, model_dir)] if raw else []
    folders.append(model_dir / "code")
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    where = " or ".join(str(folder) for folder in folders)
    raise ModelLoadError(
        f"inference script {name!r} not found in {where} (set SAGEMAKER_PROGRAM and "
        f"{SUBMIT_DIRECTORY})"
    )


def _in_model_dir(path: Path, model_dir: Path) -> Path:
    posix = PurePosixPath(path.as_posix())
    default = PurePosixPath(DEFAULT_MODEL_DIR.as_posix())
    if posix.is_relative_to(default) and not path.exists():
        return model_dir / posix.relative_to(default)
    return path


def _unpacked(archive: Path, raw: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="inferline-sourcedir-"))
    try:
        extract(archive, target)
    except ModelLoadError as error:
        raise ModelLoadError(f"{SUBMIT_DIRECTORY}={raw}: {error}") from None
    return target


def _download(url: str) -> Path:
    """The s3:// object (sourcedir.tar.gz) or every object under the prefix, fetched with
    boto3 its usual way (AWS_ENDPOINT_URL_S3 and credentials from the environment)."""
    from inferline.containers.core.modeldata import fetch

    workdir = Path(tempfile.mkdtemp(prefix="inferline-sourcedir-download-"))
    try:
        return fetch(url, workdir, "submit-directory")
    except ModelLoadError as error:
        raise ModelLoadError(f"{SUBMIT_DIRECTORY}={url}: {error}") from None
