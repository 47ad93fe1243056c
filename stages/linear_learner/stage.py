"""LinearLearnerStage: a scikit-learn linear model answering as SageMaker's Linear Learner.

Each row gets ``{"score": ...}`` from a regressor, ``{"score": p, "predicted_label": c}``
from a classifier: for two classes `score` is the probability of the second class
(Linear Learner's class 1), for more it is the list of class probabilities. A
classifier without `predict_proba` (SGD with hinge loss) scores with
`decision_function` instead, as Linear Learner's raw scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from inferline.containers.core.codecs import JSON, CodecRegistry
from inferline.containers.core.codecs.dense import feature_matrix
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.base import FrameStage
from inferline.stages.linear_learner.codecs import REGISTRY
from inferline.stages.sklearn.stage import call


@dataclass(frozen=True)
class LinearLearnerStage(FrameStage):
    """Serve a fitted regressor or classifier (or a Pipeline ending in one)."""

    codecs: ClassVar[CodecRegistry] = REGISTRY
    default_accept: ClassVar[str] = JSON

    estimator: Any

    def __post_init__(self) -> None:
        if not callable(getattr(self.estimator, "predict", None)):
            raise ModelLoadError(
                f"{type(self.estimator).__name__} has no predict(); the linear-learner stage "
                "serves a fitted regressor or classifier"
            )

    @property
    def is_classifier(self) -> bool:
        return hasattr(self.estimator, "classes_")

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:  # scikit-learn refuses zero rows; no rows, no predictions
            return pd.DataFrame({"score": []})
        features: Any = feature_matrix(frame, getattr(self.estimator, "n_features_in_", None))
        names = getattr(self.estimator, "feature_names_in_", None)
        if names is not None:  # fitted on a DataFrame: give it its column names back
            features = pd.DataFrame(features, columns=names)
        if not self.is_classifier:
            return pd.DataFrame({"score": call(self.estimator, "predict", features)})
        scores = self._class_scores(features)
        # predict() rather than an argmax here, so labels equal the estimator's own.
        labels = call(self.estimator, "predict", features)
        return pd.DataFrame(
            {
                "score": scores if scores.ndim == 1 else list(scores),
                "predicted_label": labels,
            }
        )

    def _class_scores(self, features: Any) -> np.ndarray:
        """Probabilities (or decision values) per row; one value for two classes,
        the probability of the second class (Linear Learner's class 1)."""
        has_proba = hasattr(self.estimator, "predict_proba")
        method = "predict_proba" if has_proba else "decision_function"
        scores = np.asarray(call(self.estimator, method, features))
        if method == "predict_proba" and scores.shape[1] == 2:
            return scores[:, 1]
        return scores
