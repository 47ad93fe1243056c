"""The scikit-learn stage: a fitted estimator (joblib, pickle, skops) or an inference script.

`kind.py` declares the kind; importing this package loads neither scikit-learn nor
numpy until a stage class or `load` is used.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings
from inferline.stages.lazy import lazy

if TYPE_CHECKING:
    from inferline.stages.sklearn.script import ScriptStage
    from inferline.stages.sklearn.stage import SklearnStage

__all__ = ["ScriptStage", "SklearnStage", "load"]

__getattr__ = lazy(
    __name__,
    {
        "ScriptStage": "inferline.stages.sklearn.script",
        "SklearnStage": "inferline.stages.sklearn.stage",
    },
)


def load(model_dir: Path, settings: Settings) -> Stage:
    """A script stage when there is a script (code/ or SAGEMAKER_PROGRAM), else an estimator."""
    from inferline.stages.sklearn import artifact
    from inferline.stages.sklearn.kind import KIND, SklearnSettings
    from inferline.stages.sklearn.script import ScriptStage, find_script
    from inferline.stages.sklearn.stage import SklearnStage

    if settings.program or (model_dir / "code").is_dir():
        script = find_script(model_dir, settings.program, settings.submit_directory)
        return ScriptStage.load(model_dir, script)
    options: SklearnSettings = KIND.options(settings)
    estimator = artifact.load(artifact.find(model_dir))
    return SklearnStage.for_estimator(estimator, options.method)
