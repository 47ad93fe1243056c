"""The BlazingText stage: SageMaker's BlazingText text-classification wire format over
BlazingText's own artefact, fastText's `model.bin` (served with fastText).

``load`` serves the `model.bin` in a model directory; ``train`` fits a classifier as
BlazingText's supervised mode does and ``save`` writes it where ``load`` finds it.
`kind.py` declares the kind; fastText is imported only when a model is loaded, trained
or saved. It ships in the inferline-sklearn image (``inferline[blazingtext]``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from inferline.containers.core.settings import Settings
from inferline.stages.blazingtext.kind import MODEL_FILE
from inferline.stages.lazy import lazy

if TYPE_CHECKING:
    from inferline.stages.blazingtext.model import class_of, label_of, save, train
    from inferline.stages.blazingtext.stage import BlazingTextStage

__all__ = ["MODEL_FILE", "BlazingTextStage", "class_of", "label_of", "load", "save", "train"]

__getattr__ = lazy(
    __name__,
    {
        "BlazingTextStage": "inferline.stages.blazingtext.stage",
        "class_of": "inferline.stages.blazingtext.model",
        "label_of": "inferline.stages.blazingtext.model",
        "save": "inferline.stages.blazingtext.model",
        "train": "inferline.stages.blazingtext.model",
    },
)


def load(model_dir: Path, settings: Settings) -> BlazingTextStage:
    """The stage for the fastText classifier in `model_dir` (its `model.bin`)."""
    from inferline.stages.blazingtext.model import load_classifier
    from inferline.stages.blazingtext.stage import BlazingTextStage

    return BlazingTextStage(load_classifier(model_dir))
