"""LinearLearnerStage: a scikit-learn linear model answering as SageMaker's Linear Learner.

Each row gets ``{"score": ...}`` from a regressor, ``{"score": p, "predicted_label": c}``
from a classifier: for two classes `score` is the probability of the second class
(Linear Learner's class 1), for more it is the list of class probabilities. A
classifier without `predict_proba` (SGD with hinge loss) scores with
`decision_function` instead, as Linear Learner's raw scores.

A regressor's numeric JSON, JSON Lines and CSV bodies skip pandas (`invoke`): the
body is read straight into a float matrix, the model predicts (compiled to numpy by
`inferline.stages.sklearn.compiled` where it is recognised) and the scores are written
by `dense.column_body`, with the same bytes as the DataFrame path, which everything
else takes (classifiers, RecordIO, ``.npy``, bodies the direct readers do not take,
and every bad body, so errors are the codecs' own).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import InitVar, dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from inferline.containers.core.codecs import JSON, CodecRegistry
from inferline.containers.core.codecs.dense import column_body, dense_matrix, feature_matrix
from inferline.containers.core.errors import ModelLoadError
from inferline.containers.core.invocation import Answer, Invocation
from inferline.containers.core.media import MediaType, negotiate
from inferline.stages.base import FrameStage
from inferline.stages.linear_learner.codecs import REGISTRY
from inferline.stages.sklearn.compiled import compile_method
from inferline.stages.sklearn.stage import call

SCORE = "score"
DEFAULT_ACCEPT = MediaType.parse(JSON)


@dataclass(frozen=True)
class LinearLearnerStage(FrameStage):
    """Serve a fitted regressor or classifier (or a Pipeline ending in one)."""

    codecs: ClassVar[CodecRegistry] = REGISTRY
    default_accept: ClassVar[str] = JSON

    estimator: Any
    compile_predict: InitVar[bool] = True
    """Run a regressor's `predict` compiled to numpy where `compile_method` recognises it
    (INFERLINE_SKLEARN_COMPILE, as for the sklearn stage); False: scikit-learn's own."""
    compiled: Callable[[Any], Any] | None = field(
        default=None, init=False, compare=False, repr=False
    )
    """`estimator.predict` as numpy, or None (not recognised, a classifier, or off)."""

    def __post_init__(self, compile_predict: bool) -> None:
        if not callable(getattr(self.estimator, "predict", None)):
            raise ModelLoadError(
                f"{type(self.estimator).__name__} has no predict(); the linear-learner stage "
                "serves a fitted regressor or classifier"
            )
        if compile_predict and not self.is_classifier:
            object.__setattr__(self, "compiled", compile_method(self.estimator, "predict"))

    @property
    def is_classifier(self) -> bool:
        return hasattr(self.estimator, "classes_")

    def invoke(self, invocation: Invocation) -> Answer:
        """A regressor's numeric body without pandas; anything else through `transform`."""
        if self.is_classifier:
            return super().invoke(invocation)
        features = dense_matrix(invocation.body, invocation.content_type.mimetype)
        width = getattr(self.estimator, "n_features_in_", None)
        if features is None or (width is not None and features.shape[1] != width):
            return super().invoke(invocation)  # the codecs read it again and name the fault
        scores = self._predict(features)
        media = negotiate(invocation.accept, self.codecs.writable, DEFAULT_ACCEPT)
        body = (
            column_body(SCORE, scores, media.mimetype) if isinstance(scores, np.ndarray) else None
        )
        if body is None:
            frame = pd.DataFrame({SCORE: scores})
            return self.codecs.encode(frame, invocation.accept, self.default_accept)
        return Answer(body, media.mimetype)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        if frame.empty:  # scikit-learn refuses zero rows; no rows, no predictions
            return pd.DataFrame({SCORE: []})
        features = feature_matrix(frame, getattr(self.estimator, "n_features_in_", None))
        if not self.is_classifier:
            return pd.DataFrame({SCORE: self._predict(features)})
        named = self._named(features)
        scores = self._class_scores(named)
        # predict() rather than an argmax here, so labels equal the estimator's own.
        labels = call(self.estimator, "predict", named)
        return pd.DataFrame(
            {
                SCORE: scores if scores.ndim == 1 else list(scores),
                "predicted_label": labels,
            }
        )

    def _predict(self, features: np.ndarray) -> Any:
        """A regressor's scores for the decoded rows (scikit-learn's errors are 422s)."""
        return call(self.estimator, "predict", self._named(features), self.compiled)

    def _named(self, features: np.ndarray) -> Any:
        """The rows as the estimator was fitted: a DataFrame when it was fitted on one."""
        names = getattr(self.estimator, "feature_names_in_", None)
        return features if names is None else pd.DataFrame(features, columns=names)

    def _class_scores(self, features: Any) -> np.ndarray:
        """Probabilities (or decision values) per row; one value for two classes,
        the probability of the second class (Linear Learner's class 1)."""
        has_proba = hasattr(self.estimator, "predict_proba")
        method = "predict_proba" if has_proba else "decision_function"
        scores = np.asarray(call(self.estimator, method, features))
        if method == "predict_proba" and scores.shape[1] == 2:
            return scores[:, 1]
        return scores
