"""The Linear Learner-compatible stage: SageMaker's Linear Learner wire format, scikit-learn inside.

It runs in the inferline-sklearn image (``INFERLINE_STAGE=linear-learner``) because the
model is a scikit-learn estimator: same dependencies, same artefact (`model.joblib` or
`model.skops`, read by `inferline.stages.sklearn.artifact`). `kind.py` declares the kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferline.containers.core.settings import Settings
from inferline.stages.lazy import lazy
from inferline.stages.sklearn import artifact

if TYPE_CHECKING:
    from inferline.stages.linear_learner.stage import LinearLearnerStage

__all__ = ["LinearLearnerStage", "load", "save"]

__getattr__ = lazy(__name__, {"LinearLearnerStage": "inferline.stages.linear_learner.stage"})


def load(model_dir: Path, settings: Settings) -> LinearLearnerStage:
    """The stage for the one estimator file in `model_dir`."""
    from inferline.stages.linear_learner.stage import LinearLearnerStage

    return LinearLearnerStage(artifact.load(artifact.find(model_dir)))


def save(estimator: Any, model_dir: Path, name: str = artifact.DEFAULT_NAME) -> Path:
    """Write a fitted regressor or classifier where `load` finds it (model.joblib by default).

    Raises:
        ModelLoadError: the estimator could not be served (it has no predict()).
    """
    from inferline.stages.linear_learner.stage import LinearLearnerStage

    LinearLearnerStage(estimator)
    return artifact.save(estimator, model_dir, name)
