"""Feature expansion: Spark's and scikit-learn's polynomial expansions, Interaction."""

from __future__ import annotations

from typing import Any

import numpy as np

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import (
    Column,
    Frame,
    dense,
)
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    Op,
    register,
)


@register("polynomial_expansion")
class PolynomialExpansion(ColumnOp):
    """All monomials up to `degree`, in Spark's order, without the constant term."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.degree = attrs.integer("degree", 2)
        self.input_size = attrs.integer("input_size", 0)
        self.powers = _spark_monomials(self.input_size, self.degree) if self.input_size else None

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = dense(column)
        powers = self.powers
        if powers is None or powers.shape[1] != values.shape[1]:
            powers = _spark_monomials(values.shape[1], self.degree)
        return np.prod(values[:, None, :] ** powers[None, :, :], axis=2)


def _spark_monomials(features: int, degree: int) -> np.ndarray:
    """Exponent rows in the order of Spark's PolynomialExpansion.expandDense."""
    terms: list[tuple[int, ...]] = []

    def expand(last: int, remaining: int, exponents: tuple[int, ...]) -> None:
        if remaining == 0 or last < 0:
            terms.append(exponents)
            return
        for power in range(remaining + 1):
            bumped = exponents[:last] + (exponents[last] + power,) + exponents[last + 1 :]
            expand(last - 1, remaining - power, bumped)

    expand(features - 1, degree, (0,) * features)
    return np.array(terms[1:], dtype=np.float64)  # drop the constant term


@register("sklearn_polynomial_expansion")
class SklearnPolynomialExpansion(ColumnOp):
    """mleap.sklearn's PolynomialFeatures: the terms named in `combinations`.

    `combinations` is scikit-learn's feature names, e.g. ``[1,x0,x1,x0^2,x0 x1,x1^2]``.
    """

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        text = spec.attributes.string("combinations").strip().strip("[]")
        terms = [term.strip() for term in text.split(",") if term.strip()]
        if not terms:
            raise spec.error("combinations is empty")
        parsed = [_monomial(term) for term in terms]
        features = 1 + max((i for term in parsed for i in term), default=0)
        self.powers = np.zeros((len(parsed), features))
        for row, term in enumerate(parsed):
            for feature, power in term.items():
                self.powers[row, feature] = power

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = dense(column)
        if values.shape[1] < self.powers.shape[1]:
            raise UnprocessableEntity(
                f"column {name!r} has {values.shape[1]} features; the expansion uses "
                f"{self.powers.shape[1]}"
            )
        values = values[:, : self.powers.shape[1]]
        return np.prod(values[:, None, :] ** self.powers[None, :, :], axis=2)


def _monomial(term: str) -> dict[int, int]:
    """``x0^2 x3`` -> {0: 2, 3: 1}; ``1`` (the bias) -> {}."""
    powers: dict[int, int] = {}
    for factor in term.split():
        if factor == "1":
            continue
        base, _, power = factor.partition("^")
        if not base.startswith("x") or not base[1:].isdigit():
            raise ValueError(f"cannot read polynomial term {term!r}")
        index = int(base[1:])
        powers[index] = powers.get(index, 0) + int(power or 1)
    return powers


@register("interaction")
class Interaction(Op):
    """Products of every combination of the inputs' values (nominal parts one-hot)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        numbered = sorted(
            (int(port[5:] or 0), column)
            for port, column in spec.inputs.items()
            if port.startswith("input")
        )
        self.sources = [column for _, column in numbered]
        self.encodings = [
            [int(n) for n in attrs.integers(f"num_features{i}", [1])] for i in range(len(numbered))
        ]
        self.target = spec.outputs.get("output")
        if not self.sources:
            raise spec.error("node.json has no input port")

    def transform(self, frame: Frame) -> Frame:
        if self.target is None:
            return frame
        encoded = [
            _encode(dense(frame[source]), encoding, source)
            for source, encoding in zip(self.sources, self.encodings, strict=True)
        ]
        result = encoded[0]
        for part in encoded[1:]:
            result = (result[:, :, None] * part[:, None, :]).reshape(len(result), -1)
        return {**frame, self.target: result}


def _encode(values: np.ndarray, encoding: list[int], name: str) -> np.ndarray:
    """Numeric features (size 1) as they are, nominal ones (size n) one-hot."""
    if all(n == 1 for n in encoding):
        return values
    blocks = []
    for j, n in enumerate(encoding):
        if n == 1:
            blocks.append(values[:, j : j + 1])
        else:
            index = values[:, j].astype(np.int64)
            if ((index < 0) | (index >= n)).any():
                raise UnprocessableEntity(f"column {name!r}: nominal value outside 0..{n - 1}")
            blocks.append(np.eye(n)[index])
    return np.concatenate(blocks, axis=1)
