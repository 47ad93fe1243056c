"""MLeap's math ops on scalar columns: math_unary and math_binary (Java semantics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from inferline.stages.sparkml.columns import Column, Frame, doubles, rows_of
from inferline.stages.sparkml.ops.base import ColumnOp, NodeSpec, Op, register


def _logit(x: np.ndarray) -> np.ndarray:
    return np.log(x / (1.0 - x))


UNARY: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "log": np.log,
    "exp": np.exp,
    "sqrt": np.sqrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "abs": np.abs,
    "logit": _logit,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": lambda x: np.floor(x + 0.5),  # Java Math.round: halves go up, not to even
}

BINARY: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "rem": np.fmod,  # Java %: the sign follows the dividend
    "log_n": lambda a, b: np.log(a) / np.log(b),
    "pow": np.power,
    "min": np.minimum,
    "max": np.maximum,
}


@register("math_unary")
class MathUnary(ColumnOp):
    """One of UNARY applied to a scalar column."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        operation = spec.attributes.string("operation")
        if operation not in UNARY:
            raise spec.error(f"unknown operation {operation!r}; known: {', '.join(UNARY)}")
        self.function = UNARY[operation]

    def compute(self, column: Column, k: int, name: str) -> Any:
        with np.errstate(all="ignore"):
            return self.function(doubles(column, name))


@register("math_binary")
class MathBinary(Op):
    """a (op) b, where either side may be a constant (`da`/`db`) instead of a column."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        operation = attrs.string("operation")
        if operation not in BINARY:
            raise spec.error(f"unknown operation {operation!r}; known: {', '.join(BINARY)}")
        self.function = BINARY[operation]
        self.a, self.b = spec.inputs.get("input_a"), spec.inputs.get("input_b")
        # The constants as 0-d arrays: the functions take arrays, and broadcast them.
        self.da, self.db = np.asarray(attrs.double("da", 0.0)), np.asarray(attrs.double("db", 0.0))
        self.target = spec.outputs.get("output")

    def transform(self, frame: Frame) -> Frame:
        if self.target is None:
            return frame
        a = doubles(frame[self.a], self.a) if self.a else self.da
        b = doubles(frame[self.b], self.b) if self.b else self.db
        with np.errstate(all="ignore"):
            result = self.function(a, b)
        rows = rows_of(next(iter(frame.values()))) if frame else 1
        return {**frame, self.target: np.broadcast_to(result, (rows,)).astype(np.float64)}
