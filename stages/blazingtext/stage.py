"""BlazingTextStage: a scikit-learn text classifier answering as SageMaker's BlazingText.

The model is any fitted estimator that takes raw strings and has `predict_proba` and
`classes_` (a Pipeline of TfidfVectorizer and LogisticRegression, say). Each class
is named ``__label__<class>``, so a class `EducationalInstitution` answers
``__label__EducationalInstitution``, as a BlazingText model trained on such labels does.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from inferline.containers.core.codecs import JSON, CodecRegistry
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.base import FrameStage
from inferline.stages.blazingtext.codecs import REGISTRY
from inferline.stages.sklearn.stage import call

LABEL_PREFIX = "__label__"


@dataclass(frozen=True)
class BlazingTextStage(FrameStage):
    """Top-k labels and probabilities per sentence."""

    codecs: ClassVar[CodecRegistry] = REGISTRY
    default_accept: ClassVar[str] = JSON

    classifier: Any

    def __post_init__(self) -> None:
        if not (hasattr(self.classifier, "predict_proba") and hasattr(self.classifier, "classes_")):
            raise ModelLoadError(
                f"{type(self.classifier).__name__} cannot serve as a text classifier: it needs "
                "classes_ and predict_proba (fit e.g. TfidfVectorizer + LogisticRegression)"
            )

    @cached_property
    def labels(self) -> np.ndarray:
        return np.array([label_of(name) for name in self.classifier.classes_], dtype=object)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:  # scikit-learn refuses zero rows; no sentences, no answers
            return pd.DataFrame({"label": [], "prob": []}, dtype=object)
        probabilities = np.asarray(call(self.classifier, "predict_proba", frame["source"].tolist()))
        # Best first; a stable sort keeps class order among equal probabilities.
        order = np.argsort(-probabilities, axis=1, kind="stable")
        labels, probs = [], []
        for row, k in enumerate(frame["k"].tolist()):
            best = order[row, :k]
            labels.append(self.labels[best].tolist())
            probs.append(probabilities[row, best].tolist())
        return pd.DataFrame({"label": labels, "prob": probs}, dtype=object)


def label_of(name: Any) -> str:
    """BlazingText's label for a class: ``__label__<class>`` (kept when already prefixed)."""
    text = str(name)
    return text if text.startswith(LABEL_PREFIX) else LABEL_PREFIX + text
