"""The xgboost kind's declaration: a directory holding SageMaker's `xgboost-model` file.

Cheap to import (no xgboost, no numpy): the registry reads it to detect a model.
"""

from __future__ import annotations

from pathlib import Path

from inferline.stages.kind import Kind

__all__ = ["KIND", "MODEL_FILE"]

MODEL_FILE = "xgboost-model"
CONTENT_TYPES = (
    "text/csv",
    "text/libsvm",
    "text/x-libsvm",
    "application/x-recordio-protobuf",
    "application/json",
    "application/jsonlines",
)


def recognises(model_dir: Path) -> bool:
    return (model_dir / MODEL_FILE).is_file()


KIND = Kind(
    name="xgboost",
    image="xgboost",
    extra="xgboost",
    requires=("xgboost",),
    loader="inferline.stages.xgboost:load",
    recognises=recognises,
    looks_for=MODEL_FILE,
    priority=20,
    content_types=CONTENT_TYPES,
)
