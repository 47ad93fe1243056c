"""Clustering: k-means assigns each row to its nearest centre."""

from __future__ import annotations

import numpy as np

from inferline.stages.sparkml.columns import Column, dense
from inferline.stages.sparkml.ops.base import NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor


@register("k_means", "kmeans")
class KMeans(Predictor):
    """Prediction = index of the nearest centre (Euclidean, or cosine when saved so)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.centers = np.array(spec.attributes.tensors("cluster_centers"), dtype=np.float64)
        if not len(self.centers):
            raise spec.error("no cluster_centers")
        self.cosine = spec.attributes.string("distance_measure", "euclidean") == "cosine"
        if self.cosine:
            norms = np.linalg.norm(self.centers, axis=1, keepdims=True)
            self.centers = self.centers / np.where(norms == 0, 1.0, norms)
        self.center_norms = (self.centers**2).sum(axis=1)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        x = dense(features)
        if self.cosine:
            distances = -(x @ self.centers.T)
        else:
            distances = self.center_norms[None, :] - 2.0 * (x @ self.centers.T)
        return {"prediction": np.argmin(distances, axis=1).astype(np.int64)}
