"""The predictor shape shared by linear, tree and cluster models.

A predictor reads the ``features`` port and produces any subset of
``raw_prediction``, ``probability`` and ``prediction``: only what node.json lists,
and nothing it does not need to compute.
"""

from __future__ import annotations

import numpy as np

from inferline.stages.sparkml.columns import Column, Frame
from inferline.stages.sparkml.ops.base import NodeSpec, Op

PORTS = ("raw_prediction", "probability", "prediction")


class Predictor(Op):
    """A model op: `features` in, the prediction ports node.json lists out."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        if "features" not in spec.inputs:
            raise spec.error("node.json has no 'features' input port")
        self.source = spec.inputs["features"]

    def transform(self, frame: Frame) -> Frame:
        produced = self.predict(frame[self.source])
        out = dict(frame)
        for port, column in self.outputs.items():
            if port in produced:
                out[column] = produced[port]
        return out

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        raise NotImplementedError


def pick(probability: np.ndarray, thresholds: np.ndarray | None) -> np.ndarray:
    """Spark's probability2prediction: argmax, of probability / thresholds when set."""
    if thresholds is None:
        best: np.ndarray = np.argmax(probability, axis=1).astype(np.float64)
        return best
    with np.errstate(divide="ignore", invalid="ignore"):
        scaled = np.where(
            thresholds == 0, np.inf, probability / np.where(thresholds == 0, 1, thresholds)
        )
    chosen: np.ndarray = np.argmax(scaled, axis=1).astype(np.float64)
    return chosen


def softmax(margins: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum for stability."""
    shifted = np.exp(margins - margins.max(axis=1, keepdims=True))
    normalised: np.ndarray = shifted / shifted.sum(axis=1, keepdims=True)
    return normalised
