"""The multilayer perceptron classifier: sigmoid hidden layers, softmax output."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import scipy.special

from inferline.stages.sparkml.columns import Column, dense
from inferline.stages.sparkml.ops.base import NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor, softmax


@register("multi_layer_perceptron_classifier")
class MultilayerPerceptronClassifier(Predictor):
    """Spark's FeedForwardTopology: per layer, W (out × in, column-major) then b (out)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        sizes = [int(n) for n in attrs.integers("layers")]
        weights = attrs.tensor("weights").ravel()
        expected = sum(n_in * n_out + n_out for n_in, n_out in pairwise(sizes))
        if len(sizes) < 2 or len(weights) != expected:
            raise spec.error(f"layers {sizes} need {expected} weights, got {len(weights)}")
        self.layers: list[tuple[np.ndarray, np.ndarray]] = []
        offset = 0
        for n_in, n_out in pairwise(sizes):
            matrix = weights[offset : offset + n_in * n_out].reshape((n_out, n_in), order="F")
            offset += n_in * n_out
            self.layers.append((matrix.T.copy(), weights[offset : offset + n_out]))
            offset += n_out

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        activation = dense(features)
        for matrix, bias in self.layers[:-1]:
            activation = scipy.special.expit(activation @ matrix + bias)
        matrix, bias = self.layers[-1]
        raw = activation @ matrix + bias
        return {
            "raw_prediction": raw,
            "probability": softmax(raw),
            "prediction": np.argmax(raw, axis=1).astype(np.float64),
        }
