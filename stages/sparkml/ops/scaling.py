"""Scaling ops: standard, min-max and max-abs scalers, elementwise product, normalizer.

Sparse input stays sparse wherever Spark keeps it so; max_abs_scaler does not clamp to
[-1, 1] (Spark; MLeap clamps).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import (
    Column,
    Sparse,
    dense,
)
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    register,
)


def _scale(column: Column, factors: np.ndarray) -> Column:
    """Element-wise product that keeps sparse vectors sparse."""
    if isinstance(column, Sparse):
        return column.with_data(column.data * factors[column.indices])
    scaled: np.ndarray = dense(column) * factors
    return scaled


def _reciprocal(values: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(values == 0, 0.0, 1.0 / np.where(values == 0, 1.0, values))


@register("standard_scaler")
class StandardScaler(ColumnOp):
    """(x - mean) / std, with 0 where std is 0; sparse stays sparse without a mean."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.mean = attrs.tensor("mean") if "mean" in attrs else None
        self.factor = _reciprocal(attrs.tensor("std")) if "std" in attrs else None

    def compute(self, column: Column, k: int, name: str) -> Any:
        if self.mean is not None:
            shifted = dense(column) - self.mean
            return shifted * self.factor if self.factor is not None else shifted
        return _scale(column, self.factor) if self.factor is not None else column


@register("min_max_scaler")
class MinMaxScaler(ColumnOp):
    """(x - min) / (max - min) * (maxValue - minValue) + minValue; 0.5 where max == min."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.low = attrs.tensor("min")
        span = attrs.tensor("max") - self.low
        lo, hi = attrs.double("minValue", 0.0), attrs.double("maxValue", 1.0)
        scale = hi - lo
        self.factor = np.where(span != 0, scale / np.where(span != 0, span, 1.0), 0.0)
        self.offset = np.where(span != 0, lo, 0.5 * scale + lo)

    def compute(self, column: Column, k: int, name: str) -> Any:
        return (dense(column) - self.low) * self.factor + self.offset


@register("max_abs_scaler")
class MaxAbsScaler(ColumnOp):
    """x / max|x|; not clamped to [-1, 1] (Spark; MLeap clamps)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        max_abs = spec.attributes.tensor("maxAbs")
        self.factor = 1.0 / np.where(max_abs == 0, 1.0, max_abs)

    def compute(self, column: Column, k: int, name: str) -> Any:
        return _scale(column, self.factor)


@register("elementwise_product")
class ElementwiseProduct(ColumnOp):
    """x * scaling_vec; sparse stays sparse."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.factor = spec.attributes.tensor("scaling_vec")

    def compute(self, column: Column, k: int, name: str) -> Any:
        return _scale(column, self.factor)


@register("normalizer")
class Normalizer(ColumnOp):
    """x / ||x||_p; a zero norm leaves x as is."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.p = spec.attributes.double("p_norm", 2.0)

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = dense(column)
        norms = np.linalg.norm(values, ord=self.p, axis=1) if self.p != 0 else None
        if norms is None:
            raise UnprocessableEntity("normalizer p must be >= 1")
        scale = np.where(norms == 0, 1.0, norms)[:, None]
        return values / scale if not isinstance(column, Sparse) else _row_scale(column, scale[:, 0])


def _row_scale(column: Sparse, divisors: np.ndarray) -> Sparse:
    return column.with_data(column.data / divisors[column.row_ids()])
