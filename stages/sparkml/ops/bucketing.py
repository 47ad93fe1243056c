"""Discretisation ops: Bucketizer (splits -> bucket index) and Binarizer (threshold)."""

from __future__ import annotations

from typing import Any

import numpy as np

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import (
    Column,
    Frame,
    Sparse,
    dense,
    doubles,
    take_rows,
)
from inferline.stages.sparkml.javatext import java_double
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    Op,
    column_pairs,
    handle_invalid,
    register,
)


@register("bucketizer")
class Bucketizer(Op):
    """Value -> bucket index by splits; the last split closes the last bucket."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        splits = spec.attributes.doubles("splits")
        # ±inf are stored as null (read as NaN); only the ends can be infinite.
        if np.isnan(splits[0]):
            splits[0] = -np.inf
        if np.isnan(splits[-1]):
            splits[-1] = np.inf
        self.splits = splits
        self.handle_invalid = handle_invalid(spec)
        self.pairs = column_pairs(spec)

    def transform(self, frame: Frame) -> Frame:
        out = dict(frame)
        keep: np.ndarray | None = None
        last = len(self.splits) - 2
        for _, source, target in self.pairs:
            values = doubles(frame[source], source)
            bucket = np.searchsorted(self.splits, values, side="right").astype(np.float64) - 1
            bucket[values == self.splits[-1]] = last
            nan = np.isnan(values)
            outside = ~nan & ((bucket < 0) | (bucket > last))
            if outside.any():
                bad = values[outside][0]
                raise UnprocessableEntity(
                    f"column {source!r}: {java_double(bad)} is outside the bucket splits "
                    f"[{java_double(self.splits[0])}, {java_double(self.splits[-1])}]"
                )
            if nan.any():
                if self.handle_invalid == "keep":
                    bucket[nan] = last + 1
                elif self.handle_invalid == "skip":
                    keep = ~nan if keep is None else keep & ~nan
                else:
                    raise UnprocessableEntity(
                        f"column {source!r} holds NaN or null; the bucketizer refuses it "
                        "(handle_invalid=error)"
                    )
            out[target] = bucket
        return out if keep is None else take_rows(out, keep)


@register("binarizer", "sklearn_binarizer")
class Binarizer(ColumnOp):
    """x > threshold -> 1.0 else 0.0; scalars and vectors, single or multi-column."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        if "thresholds" in attrs:
            self.thresholds = [float(t) for t in attrs.doubles("thresholds")]
        else:
            self.thresholds = [attrs.double("threshold", 0.0)] * max(len(self.pairs), 1)

    def compute(self, column: Column, k: int, name: str) -> Any:
        threshold = self.thresholds[k]
        if isinstance(column, Sparse) and threshold >= 0:
            # Implicit zeros stay zero, so the result stays sparse (as Spark).
            kept = column.with_data((column.data > threshold).astype(np.float64))
            return Sparse.from_dense(kept.to_dense()) if len(kept.data) else kept
        if isinstance(column, np.ndarray) and column.ndim == 1:
            return (doubles(column, name) > threshold).astype(np.float64)
        return (dense(column) > threshold).astype(np.float64)
