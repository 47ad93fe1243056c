"""The Linear Learner-compatible stage: SageMaker's Linear Learner wire format, scikit-learn inside.

It runs in the inferline-sklearn image (``INFERLINE_STAGE=linear-learner``) because the
model is a scikit-learn estimator: same dependencies, same artefact (`model.joblib` or
`model.skops`, read by `inferline.stages.sklearn.artifact`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferline.containers.core.settings import Settings
from inferline.stages.linear_learner.stage import LinearLearnerStage
from inferline.stages.sklearn import artifact

__all__ = ["LinearLearnerStage", "load", "save"]


def load(model_dir: Path, settings: Settings) -> LinearLearnerStage:
    """The stage for the one estimator file in `model_dir`."""
    return LinearLearnerStage(artifact.load(artifact.find(model_dir)))


def save(estimator: Any, model_dir: Path, name: str = artifact.DEFAULT_NAME) -> Path:
    """Write a fitted regressor or classifier where `load` finds it (model.joblib by default).

    Raises:
        ModelLoadError: the estimator could not be served (it has no predict()).
    """
    LinearLearnerStage(estimator)
    return artifact.save(estimator, model_dir, name)
