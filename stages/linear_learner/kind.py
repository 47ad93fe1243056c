"""The linear-learner kind's declaration: a real Linear Learner `model_algo-1`, or by name.

A Linear Learner training job's model.tar.gz holds `model_algo-1` (a zip of an MXNet
checkpoint), which detection recognises. A scikit-learn estimator (model.joblib) is the
sklearn kind's when detected; serving it with Linear Learner's wire format takes
INFERLINE_STAGE=linear-learner (or --stage). Cheap to import.
"""

from __future__ import annotations

from pathlib import Path

from inferline.stages.kind import Kind

__all__ = ["ALGO_FILE", "KIND"]

ALGO_FILE = "model_algo-1"
ZIP_START = b"PK\x03\x04"
CONTENT_TYPES = (
    "text/csv",
    "application/json",
    "application/jsonlines",
    "application/x-npy",
    "application/x-recordio-protobuf",
)


def recognises(model_dir: Path) -> bool:
    """A `model_algo-1` that is a zip, as Linear Learner writes it."""
    path = model_dir / ALGO_FILE
    if not path.is_file():
        return False
    with path.open("rb") as handle:
        return handle.read(len(ZIP_START)) == ZIP_START


KIND = Kind(
    name="linear-learner",
    image="sklearn",
    extra="sklearn",
    requires=("sklearn", "joblib"),
    loader="inferline.stages.linear_learner:load",
    recognises=recognises,
    looks_for=ALGO_FILE,
    priority=40,
    content_types=CONTENT_TYPES,
)
