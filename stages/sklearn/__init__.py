"""The scikit-learn stage: a fitted estimator (joblib, pickle, skops) or an inference script
(a drop-in for AWS's scikit-learn container: docs/migration.md).

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
    """A script stage when there is a script (code/, SAGEMAKER_PROGRAM or
    SAGEMAKER_SUBMIT_DIRECTORY), else an estimator.

    Before the script is imported its requirements.txt is checked (installed when
    INFERLINE_SKLEARN_INSTALL_REQUIREMENTS allows) and ``sagemaker_containers`` is made
    importable (`compat`).
    """
    from inferline.stages.sklearn import artifact, compat, requirements, source
    from inferline.stages.sklearn.kind import KIND, claims
    from inferline.stages.sklearn.script import ScriptStage
    from inferline.stages.sklearn.stage import SklearnStage

    options = KIND.options(settings)
    if claims(settings) or (model_dir / "code").is_dir():
        script = source.locate(model_dir, settings)
        requirements.ensure(script.parent, options.install_requirements)
        compat.install()
        return ScriptStage.load(model_dir, script, options)
    estimator = artifact.load(artifact.find(model_dir))
    return SklearnStage.for_estimator(estimator, options.method, options.compile_estimators)
