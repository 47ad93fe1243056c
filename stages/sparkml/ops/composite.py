"""One-vs-rest: one binary classifier per class, stored as sub-models model0..modelK-1."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from inferline.stages.sparkml.columns import Column
from inferline.stages.sparkml.ops.base import OPS, NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor


@register("one_vs_rest")
class OneVsRest(Predictor):
    """Prediction = the class whose classifier gives the largest rawPrediction[1] (Spark)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        classes = spec.attributes.integer("num_classes")
        self.models: list[Predictor] = []
        for i in range(classes):
            sub = spec.loader.spec(f"{spec.folder}/model{i}")
            op_class = OPS.get(sub.op)
            if op_class is None or not issubclass(op_class, Predictor):
                raise spec.error(f"unsupported op {sub.op} as a one-vs-rest classifier")
            wired = replace(
                sub, inputs={"features": self.source}, outputs={"raw_prediction": "raw_prediction"}
            )
            self.models.append(op_class(wired))

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        confidence = np.stack(
            [model.predict(features)["raw_prediction"][:, 1] for model in self.models], axis=1
        )
        return {
            "raw_prediction": confidence,
            "prediction": np.argmax(confidence, axis=1).astype(np.float64),
        }
