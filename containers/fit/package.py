"""The trained job as the SDK packs it for serving, and its CreateModel container.

``SKLearnModel(model_data, entry_point, source_dir)`` repacks ``model.tar.gz``: the
artefacts the script saved in SM_MODEL_DIR at the archive's root, the script (with its
source_dir) under ``code/``, and sets the Environment below, which points the serving
container at ``/opt/ml/model/code``. inferline-sklearn serves the archive as it is.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from inferline.containers.core import archive
from inferline.containers.fit.job import LOG_LEVEL, TrainingJob

__all__ = ["IMAGE", "OUTPUT_ARCHIVE", "container_definition", "package"]

IMAGE = "inferline-sklearn"
OUTPUT_ARCHIVE = "output.tar.gz"
SERVING_CODE_DIR = "/opt/ml/model/code"


def package(job: TrainingJob, out: Path) -> Path:
    """Write ``out/model.tar.gz`` (and ``out/output.tar.gz`` when the script wrote
    output data, as a job uploads it); return the model archive's path."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="inferline-fit-package-") as scratch:
        staging = Path(scratch) / "model"
        shutil.copytree(job.model_dir, staging)
        code = staging / "code"
        if code.exists():
            shutil.rmtree(code)
        shutil.copytree(job.code_dir, code, ignore=shutil.ignore_patterns("__pycache__"))
        model_archive = archive.write(staging, out / archive.ARCHIVE_NAME)
    if any(job.output_data_dir.iterdir()):
        archive.write(job.output_data_dir, out / OUTPUT_ARCHIVE)
    return model_archive


def container_definition(job: TrainingJob, model_data: Path, image: str = IMAGE) -> dict[str, Any]:
    """The CreateModel container that serves `model_data`, with SKLearnModel's Environment."""
    return {
        "Image": image,
        "ModelDataUrl": str(model_data.resolve()),
        "Environment": {
            "SAGEMAKER_PROGRAM": job.entry_point,
            "SAGEMAKER_SUBMIT_DIRECTORY": SERVING_CODE_DIR,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": str(LOG_LEVEL),
            "SAGEMAKER_REGION": job.region,
        },
    }
