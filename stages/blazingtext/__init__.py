"""The BlazingText-compatible stage: BlazingText's text-classification wire format over a
scikit-learn text classifier. It runs in the inferline-sklearn image
(``INFERLINE_STAGE=blazingtext``), as the model is scikit-learn's. `kind.py` declares
the kind.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from inferline.containers.core.settings import Settings
from inferline.stages.lazy import lazy
from inferline.stages.sklearn import artifact

if TYPE_CHECKING:
    from inferline.stages.blazingtext.stage import BlazingTextStage, label_of

__all__ = ["BlazingTextStage", "label_of", "load", "save"]

__getattr__ = lazy(
    __name__,
    {
        "BlazingTextStage": "inferline.stages.blazingtext.stage",
        "label_of": "inferline.stages.blazingtext.stage",
    },
)


def load(model_dir: Path, settings: Settings) -> BlazingTextStage:
    """The stage for the one classifier file in `model_dir`."""
    from inferline.stages.blazingtext.stage import BlazingTextStage

    return BlazingTextStage(artifact.load(artifact.find(model_dir)))


def save(classifier: Any, model_dir: Path, name: str = artifact.DEFAULT_NAME) -> Path:
    """Write a fitted text classifier where `load` finds it (model.joblib by default).

    Raises:
        ModelLoadError: it cannot be served (no classes_ or predict_proba).
    """
    from inferline.stages.blazingtext.stage import BlazingTextStage

    BlazingTextStage(classifier)
    return artifact.save(classifier, model_dir, name)
