"""The Linear Learner stage: SageMaker's Linear Learner wire format.

It serves a real Linear Learner regressor (`model_algo-1`, its MXNet checkpoint read with
numpy: `algo.py`), or a scikit-learn estimator (`model.joblib` or `model.skops`, read by
`inferline.stages.sklearn.artifact`) with ``INFERLINE_STAGE=linear-learner``. It runs in
the inferline-sklearn image. `kind.py` declares the kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferline.containers.core.settings import Settings
from inferline.stages.lazy import lazy
from inferline.stages.linear_learner.kind import ALGO_FILE
from inferline.stages.sklearn import artifact

if TYPE_CHECKING:
    from inferline.stages.linear_learner.stage import LinearLearnerStage

__all__ = ["LinearLearnerStage", "load", "save"]

__getattr__ = lazy(__name__, {"LinearLearnerStage": "inferline.stages.linear_learner.stage"})


def load(model_dir: Path, settings: Settings) -> LinearLearnerStage:
    """The stage for a real Linear Learner `model_algo-1` in `model_dir`, else for its one
    scikit-learn estimator file (compiled unless INFERLINE_SKLEARN_COMPILE is false)."""
    from inferline.stages.linear_learner.stage import LinearLearnerStage
    from inferline.stages.sklearn.kind import KIND as SKLEARN

    if (model_dir / ALGO_FILE).is_file():
        from inferline.stages.linear_learner.algo import load_algo

        return LinearLearnerStage(load_algo(model_dir))
    estimator = artifact.load(artifact.find(model_dir))
    return LinearLearnerStage(estimator, SKLEARN.options(settings).compile_estimators)


def save(estimator: Any, model_dir: Path, name: str = artifact.DEFAULT_NAME) -> Path:
    """Write a fitted regressor or classifier where `load` finds it (model.joblib by default).

    Raises:
        ModelLoadError: the estimator could not be served (it has no predict()).
    """
    from inferline.stages.linear_learner.stage import LinearLearnerStage

    LinearLearnerStage(estimator)
    return artifact.save(estimator, model_dir, name)
