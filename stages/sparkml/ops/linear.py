"""Linear models: linear and logistic regression, linear SVC, naive Bayes."""

from __future__ import annotations

import numpy as np

from inferline.stages.sparkml.columns import Column, Sparse, dense
from inferline.stages.sparkml.ops.base import NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor, pick, softmax


def dot(features: Column, weights: np.ndarray) -> np.ndarray:
    """Each row's dot product with `weights` (vector: (N,), matrix (d, K): (N, K))."""
    if isinstance(features, Sparse):
        if weights.ndim == 1:
            return np.bincount(
                features.row_ids(),
                weights=features.data * weights[features.indices],
                minlength=features.rows,
            )
        product: np.ndarray = features.to_csr() @ weights
        return product
    result: np.ndarray = dense(features) @ weights
    return result


@register("linear_regression")
class LinearRegression(Predictor):
    """prediction = x·coefficients + intercept."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.coefficients = spec.attributes.tensor("coefficients")
        self.intercept = spec.attributes.double("intercept", 0.0)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        return {"prediction": dot(features, self.coefficients) + self.intercept}


@register("logistic_regression")
class LogisticRegression(Predictor):
    """Binary (coefficients, threshold) or multinomial (coefficient_matrix, softmax)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.binary = "coefficient_matrix" not in attrs
        thresholds = attrs.doubles("thresholds", [])
        self.thresholds = thresholds if len(thresholds) else None
        if self.binary:
            self.coefficients = attrs.tensor("coefficients")
            self.intercept = attrs.double("intercept", 0.0)
            self.threshold = attrs.double("threshold", 0.5)
            if self.thresholds is not None and len(self.thresholds) == 2:
                t0, t1 = self.thresholds
                self.threshold = 1.0 / (1.0 + t0 / t1) if t1 else 1.0
        else:
            matrix = attrs.tensor("coefficient_matrix")
            self.matrix = matrix.reshape(1, -1) if matrix.ndim == 1 else matrix  # [K, features]
            self.intercepts = attrs.tensor("intercept_vector", np.zeros(len(self.matrix)))

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        if self.binary:
            margin = dot(features, self.coefficients) + self.intercept
            raw = np.stack([-margin, margin], axis=1)
            p1 = 1.0 / (1.0 + np.exp(-margin))
            return {
                "raw_prediction": raw,
                "probability": np.stack([1.0 - p1, p1], axis=1),
                "prediction": (p1 > self.threshold).astype(np.float64),
            }
        raw = dot(features, self.matrix.T) + self.intercepts
        probability = softmax(raw)
        return {
            "raw_prediction": raw,
            "probability": probability,
            "prediction": pick(probability, self.thresholds)
            if self.thresholds is not None
            else np.argmax(raw, axis=1).astype(np.float64),
        }


@register("linear_svc")
class LinearSVC(Predictor):
    """raw = [-m, m] for the margin m; prediction = m > threshold."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.coefficients = attrs.tensor("coefficients")
        self.intercept = attrs.double("intercept", 0.0)
        self.threshold = attrs.double("threshold", 0.0)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        margin = dot(features, self.coefficients) + self.intercept
        return {
            "raw_prediction": np.stack([-margin, margin], axis=1),
            "prediction": (margin > self.threshold).astype(np.float64),
        }


@register("naive_bayes")
class NaiveBayes(Predictor):
    """Multinomial and Bernoulli; Spark 3's gaussian and complement are refused at load."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.model_type = attrs.string("model_type", "multinomial")
        if self.model_type not in ("multinomial", "bernoulli"):
            raise spec.error(
                f"unsupported op naive_bayes with model_type {self.model_type!r} "
                "(multinomial and bernoulli load)"
            )
        self.pi = attrs.tensor("pi")
        theta = attrs.tensor("theta")
        self.theta = theta.reshape(len(self.pi), -1) if theta.ndim == 1 else theta
        thresholds = attrs.doubles("thresholds", [])
        self.thresholds = thresholds if len(thresholds) else None
        if self.model_type == "bernoulli":
            self.negative = np.log1p(-np.exp(self.theta))
            self.weights = (self.theta - self.negative).T
            self.bias = self.pi + self.negative.sum(axis=1)
        else:
            self.weights, self.bias = self.theta.T, self.pi

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        raw = dot(features, self.weights) + self.bias
        probability = softmax(raw)
        return {
            "raw_prediction": raw,
            "probability": probability,
            "prediction": pick(probability, self.thresholds),
        }
