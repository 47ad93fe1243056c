"""The scikit-learn stage: a fitted estimator (joblib, pickle, skops) or an inference script."""

from __future__ import annotations

from pathlib import Path

from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings
from inferline.stages.sklearn import artifact
from inferline.stages.sklearn.script import ScriptStage, find_script
from inferline.stages.sklearn.stage import SklearnStage

__all__ = ["ScriptStage", "SklearnStage", "load"]


def load(model_dir: Path, settings: Settings) -> Stage:
    """A script stage when there is a script (code/ or SAGEMAKER_PROGRAM), else an estimator."""
    if settings.program or (model_dir / "code").is_dir():
        script = find_script(model_dir, settings.program, settings.submit_directory)
        return ScriptStage.load(model_dir, script)
    estimator = artifact.load(artifact.find(model_dir))
    return SklearnStage.for_estimator(estimator, settings.sklearn_method)
