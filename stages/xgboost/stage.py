"""XGBoostStage: a booster answering as SageMaker's XGBoost algorithm container does.

An empty body gets 204 No Content, as there (so does a body with no rows in it).
Predictions are the booster's own: regression values, probabilities for
binary:logistic, class indices as floats (``2.0``) for multi:softmax, and a
probability vector per row for multi:softprob.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
import xgboost

from inferline.containers.core.codecs import CSV, CodecRegistry
from inferline.containers.core.codecs.dense import feature_matrix
from inferline.containers.core.errors import UnprocessableEntity
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation
from inferline.stages.xgboost import codecs


@dataclass(frozen=True)
class XGBoostStage:
    """Serve `booster.inplace_predict` over the XGBoost container's wire formats."""

    booster: xgboost.Booster
    requests: CodecRegistry = field(default_factory=codecs.requests)
    realtime: CodecRegistry = field(default_factory=lambda: codecs.responses(batch=False))
    batch: CodecRegistry = field(default_factory=lambda: codecs.responses(batch=True))

    # Read once from the booster: each is a call into XGBoost's C API.
    @cached_property
    def num_features(self) -> int:
        return int(self.booster.num_features())

    @cached_property
    def feature_names(self) -> list[str]:
        return list(self.booster.feature_names or (f"f{i}" for i in range(self.num_features)))

    @cached_property
    def iteration_range(self) -> tuple[int, int]:
        """Trees up to the best iteration when early stopping saved one, else all (0, 0)."""
        best = self.booster.attributes().get("best_iteration")
        return (0, int(best) + 1) if best is not None else (0, 0)

    def invoke(self, invocation: Invocation) -> Answer:
        responses = self.batch if invocation.batch else self.realtime
        if not invocation.body.strip():
            return Answer(b"", CSV, status=204)
        names = self.feature_names
        frame = self.requests.decode(invocation, names)
        if frame.empty:
            return Answer(b"", CSV, status=204)
        if list(frame.columns) != names and set(frame.columns) == set(names):
            frame = frame[names]  # JSON objects keyed by feature name, in another order
        # float32 is what XGBoost computes with; converting here spares it a copy.
        scores = self.predict(feature_matrix(frame, self.num_features, np.float32))
        column = list(scores) if scores.ndim == 2 else scores
        return responses.encode(pd.DataFrame({"score": column}), invocation.accept, CSV)

    def predict(self, features: np.ndarray) -> np.ndarray:
        """The booster's predictions (float32), up to its best iteration when it has one."""
        try:
            return np.asarray(
                self.booster.inplace_predict(
                    features,
                    iteration_range=self.iteration_range,
                    missing=np.nan,
                    validate_features=False,
                )
            )
        except xgboost.core.XGBoostError as error:
            raise UnprocessableEntity(
                f"the booster cannot use this input: {str(error).splitlines()[0]}"
            ) from None

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        return defaults
