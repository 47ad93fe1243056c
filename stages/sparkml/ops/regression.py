"""Other regression models: generalized linear, AFT survival and isotonic regression."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.special

from inferline.stages.sparkml.columns import Column, dense
from inferline.stages.sparkml.ops.base import NodeSpec, register
from inferline.stages.sparkml.ops.linear import dot
from inferline.stages.sparkml.ops.predictor import Predictor

# Inverse link functions: the mean from the linear predictor eta.
UNLINK: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "identity": lambda eta: eta,
    "log": np.exp,
    "logit": scipy.special.expit,
    "inverse": lambda eta: 1.0 / eta,
    "probit": scipy.special.ndtr,
    "cloglog": lambda eta: 1.0 - np.exp(-np.exp(eta)),
    "sqrt": lambda eta: eta * eta,
}
CANONICAL = {"gaussian": "identity", "binomial": "logit", "poisson": "log", "gamma": "inverse"}


@register("generalized_linear_regression")
class GeneralizedLinearRegression(Predictor):
    """prediction = link⁻¹(x·β + intercept); ``link_prediction`` is the linear predictor."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.coefficients = attrs.tensor("coefficients")
        self.intercept = attrs.double("intercept", 0.0)
        family = attrs.string("family", "gaussian")
        link = attrs.string("link", "") or CANONICAL.get(family, "")
        if family == "tweedie" and not attrs.string("link", ""):
            power = attrs.double("link_power", 0.0)
            self.unlink: Callable[[np.ndarray], np.ndarray] = (
                np.exp if power == 0 else (lambda eta: np.power(eta, 1.0 / power))
            )
        elif link in UNLINK:
            self.unlink = UNLINK[link]
        else:
            raise spec.error(f"unsupported link {link!r} (known: {', '.join(UNLINK)})")

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        eta = dot(features, self.coefficients) + self.intercept
        with np.errstate(all="ignore"):
            return {"prediction": self.unlink(eta), "link_prediction": eta}


@register("aft_survival_regression")
class AFTSurvivalRegression(Predictor):
    """prediction = exp(x·β + intercept); quantiles from the Weibull scale."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.coefficients = attrs.tensor("coefficients")
        self.intercept = attrs.double("intercept", 0.0)
        self.scale = attrs.double("scale", 1.0)
        probabilities = attrs.doubles("quantile_probabilities", [])
        with np.errstate(all="ignore"):
            self.factors = np.exp(np.log(-np.log1p(-probabilities)) * self.scale)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        with np.errstate(all="ignore"):
            prediction = np.exp(dot(features, self.coefficients) + self.intercept)
            return {"prediction": prediction, "quantiles": prediction[:, None] * self.factors}


@register("isotonic_regression")
class IsotonicRegression(Predictor):
    """Piecewise-linear between boundaries, constant beyond them (Spark's predict)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.boundaries = attrs.doubles("boundaries")
        self.predictions = attrs.doubles("predictions")
        if len(self.boundaries) != len(self.predictions) or not len(self.boundaries):
            raise spec.error("boundaries and predictions must be non-empty and of equal length")
        self.feature_index = attrs.integer("feature_index", 0)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        values = dense(features)[:, self.feature_index]
        return {"prediction": np.interp(values, self.boundaries, self.predictions)}
