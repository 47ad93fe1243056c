"""Clustering: k-means (nearest centre), bisecting k-means (nearest child, down a
tree) and Gaussian mixtures (most likely component)."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np

from inferline.stages.sparkml.columns import Column, dense
from inferline.stages.sparkml.ops.base import NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor

# Spark's MLUtils.EPSILON: added to every component's density, and the eigenvalue floor.
EPSILON = 2.220446049250313e-16


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


@register("gaussian_mixture")
class GaussianMixture(Predictor):
    """probability ∝ EPSILON + weight · pdf; pseudo-inverse covariances, as Spark."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.weights = attrs.doubles("weights")
        means = attrs.tensors("means")
        covariances = attrs.tensors("covs")
        if not len(means) or len(means) != len(covariances) or len(means) != len(self.weights):
            raise spec.error("means, covs and weights do not agree in number")
        self.components = [_gaussian(m, c) for m, c in zip(means, covariances, strict=True)]

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        x = dense(features)
        density = np.stack([np.exp(log_pdf(x)) for log_pdf in self.components], axis=1)
        probability = EPSILON + self.weights * density
        probability /= probability.sum(axis=1, keepdims=True)
        return {
            "probability": probability,
            "prediction": np.argmax(probability, axis=1).astype(np.int64),
        }


def _gaussian(mean: np.ndarray, covariance: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The log-density of N(mean, covariance), through Spark's pseudo-inverse."""
    covariance = covariance.reshape(len(mean), len(mean))
    values, vectors = np.linalg.eigh(covariance)
    tolerance = EPSILON * values.max() * len(mean)
    kept = values > tolerance
    root = vectors[:, kept] / np.sqrt(values[kept])  # x·root has the Mahalanobis norm
    constant = -0.5 * (kept.sum() * np.log(2 * np.pi) + np.log(values[kept]).sum())

    def log_pdf(x: np.ndarray) -> np.ndarray:
        projected = (x - mean) @ root
        density: np.ndarray = constant - 0.5 * (projected * projected).sum(axis=1)
        return density

    return log_pdf


@register("bisecting_k_means")
class BisectingKMeans(Predictor):
    """Descend the cluster tree (tree.json, pre-order) to the nearest child each step;
    prediction = the leaf's cluster index."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        text = spec.loader.text(f"{spec.folder}/tree.json")
        lines = [json.loads(line) for line in text.splitlines() if line.strip()]
        self.centers: list[np.ndarray] = []
        self.index: list[int] = []
        self.branches: list[list[int]] = []
        position = 0

        def build() -> int:
            nonlocal position
            line = lines[position]
            position += 1
            node = len(self.centers)
            self.centers.append(np.asarray(line["values"], dtype=np.float64))
            self.index.append(int(line["index"]))
            self.branches.append([])
            for _ in range(int(line.get("numChildren", 0))):
                self.branches[node].append(build())
            return node

        build()

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        x = dense(features)
        node = np.zeros(len(x), dtype=np.int64)
        while True:
            inner = [n for n in np.unique(node).tolist() if self.branches[n]]
            if not inner:
                return {"prediction": np.array(self.index, dtype=np.int64)[node]}
            for parent in inner:
                rows = np.flatnonzero(node == parent)
                kids = self.branches[parent]
                centers = np.stack([self.centers[k] for k in kids])
                distances = ((x[rows, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
                node[rows] = np.array(kids)[np.argmin(distances, axis=1)]
