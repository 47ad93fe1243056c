"""Vector assembly and slicing: VectorAssembler, VectorSlicer and ChiSqSelector.

vector_assembler refuses NaN and null as Spark's default handleInvalid=error does
(MLeap lets NaN through).
"""

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
    width,
)
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    Op,
    handle_invalid,
    register,
)

# Above this width the assembler concatenates sparse parts without densifying them.
DENSE_ASSEMBLY_WIDTH = 65536


@register("vector_assembler")
class VectorAssembler(Op):
    """Concatenates scalars and vectors; sparse if any part is sparse.

    MLeap neither stores nor applies handleInvalid (NaN passes through); Spark's
    default, error, refuses NaN and null. This follows Spark, and honours a
    ``handle_invalid`` extension attribute (error, skip, keep) when the bundle has one.
    """

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        numbered = sorted(
            (int(port[5:] or 0), column)
            for port, column in spec.inputs.items()
            if port.startswith("input")
        )
        self.sources = [column for _, column in numbered]
        self.target = spec.outputs.get("output")
        self.handle_invalid = handle_invalid(spec)

    def transform(self, frame: Frame) -> Frame:
        if self.target is None:
            return frame
        parts = [frame[source] for source in self.sources]
        out = dict(frame)
        if len(parts[0]) == 1 if not isinstance(parts[0], Sparse) else parts[0].rows == 1:
            assembled = self._one_row(parts)
            if assembled is not None:
                out[self.target] = assembled
                return out
        if any(isinstance(p, Sparse) for p in parts) and (
            sum(width(p) for p in parts) > DENSE_ASSEMBLY_WIDTH
        ):
            pieces = [
                p if isinstance(p, Sparse) else Sparse.from_dense(_part(p, s))
                for p, s in zip(parts, self.sources, strict=True)
            ]
            out[self.target] = _hstack(pieces)
            invalid = np.zeros(pieces[0].rows, dtype=bool)
            for piece in pieces:
                invalid[piece.row_ids()[np.isnan(piece.data)]] = True
        else:
            joined = np.concatenate(
                [_part(p, s) for p, s in zip(parts, self.sources, strict=True)], axis=1
            )
            invalid = np.isnan(joined).any(axis=1)
            out[self.target] = (
                Sparse.from_dense(joined) if any(isinstance(p, Sparse) for p in parts) else joined
            )
        if not invalid.any() or self.handle_invalid == "keep":
            return out
        if self.handle_invalid == "skip":
            return take_rows(out, ~invalid)
        row = int(np.flatnonzero(invalid)[0])
        culprit = next(
            (
                s
                for p, s in zip(parts, self.sources, strict=True)
                if np.isnan(_part(p, s)[row]).any()
            ),
            self.sources[0],
        )
        raise UnprocessableEntity(
            f"column {culprit!r} holds a null or NaN (row {row + 1}); Spark's VectorAssembler "
            "refuses it (handleInvalid=error)"
        )

    def _one_row(self, parts: list[Column]) -> Column | None:
        """One row with plain Python lists; None (use the general path) on NaN or text."""
        values: list[float] = []
        any_sparse = False
        for part in parts:
            if isinstance(part, Sparse):
                any_sparse = True
                row = [0.0] * part.size
                for i, v in zip(part.indices.tolist(), part.data.tolist(), strict=True):
                    row[i] = v
                values += row
            elif part.ndim == 1:
                if part.dtype.kind not in "fiub":
                    return None
                values.append(float(part[0]))
            else:
                values += part[0].tolist()
        if any(v != v for v in values):  # NaN: let the general path apply handle_invalid
            return None
        if not any_sparse:
            return np.array([values])
        nonzero = [i for i, v in enumerate(values) if v != 0.0]
        return Sparse(
            np.array([values[i] for i in nonzero]),
            np.array(nonzero, dtype=np.int64),
            np.array([0, len(nonzero)], dtype=np.int64),
            len(values),
        )


def _part(part: Column, source: str) -> np.ndarray:
    if isinstance(part, Sparse):
        return part.to_dense()
    return doubles(part, source).reshape(-1, 1) if part.ndim == 1 else dense(part)


def _hstack(parts: list[Sparse]) -> Sparse:
    offsets = np.cumsum([0] + [p.size for p in parts])
    rows = np.concatenate([p.row_ids() for p in parts])
    order = np.argsort(rows, kind="stable")  # parts in order, so columns stay sorted
    indices = np.concatenate([p.indices + off for p, off in zip(parts, offsets, strict=False)])[
        order
    ]
    data = np.concatenate([p.data for p in parts])[order]
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=parts[0].rows))))
    return Sparse(data, indices, indptr, int(offsets[-1]))


@register("vector_slicer", "chi_sq_selector")
class VectorSlicer(ColumnOp):
    """The features at fixed indices (named ones resolved at save time)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        if spec.op == "chi_sq_selector":
            self.indices = attrs.integers("filter_indices")
        else:
            self.indices = np.concatenate(
                [attrs.integers("indices", []), attrs.integers("named_indices", [])]
            ).astype(np.int64)

    def compute(self, column: Column, k: int, name: str) -> Any:
        sliced = dense(column)[:, self.indices]
        return Sparse.from_dense(sliced) if isinstance(column, Sparse) else sliced
