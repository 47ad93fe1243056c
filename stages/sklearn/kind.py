"""The sklearn kind's declaration: a model directory with one estimator file or a code/ folder.

Cheap to import (no scikit-learn, no numpy): the registry reads it to detect a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.core.settings import text, variable
from inferline.stages.kind import Kind
from inferline.stages.sklearn.artifact import SUFFIXES

__all__ = ["KIND", "SklearnSettings"]

CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines", "application/x-npy")


@dataclass(frozen=True)
class SklearnSettings:
    """The variables only the sklearn stage reads."""

    method: str | None = field(default=None, metadata=variable("INFERLINE_SKLEARN_METHOD", text))
    """Estimator method to call (transform, predict, predict_proba, ...); else its default."""


def recognises(model_dir: Path) -> bool:
    """An estimator file (*.joblib, *.pkl, *.skops) or an inference script folder (code/)."""
    if not model_dir.is_dir():
        return False
    return (model_dir / "code").is_dir() or any(
        path.name.endswith(SUFFIXES) for path in model_dir.iterdir() if path.is_file()
    )


KIND = Kind(
    name="sklearn",
    image="sklearn",
    extra="sklearn",
    requires=("sklearn", "joblib"),
    loader="inferline.stages.sklearn:load",
    recognises=recognises,
    looks_for=" / ".join(f"*{suffix}" for suffix in SUFFIXES) + " / code/",
    # After the kinds with one fixed file name: a stray model.pkl beside a bundle.json
    # or an xgboost-model does not make the directory a scikit-learn model.
    priority=90,
    content_types=CONTENT_TYPES,
    settings=SklearnSettings,
)
