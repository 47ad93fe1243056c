"""Leap-frame columns: how the runtime holds N rows of one column.

A frame is a ``dict[str, column]``; every column has N rows:

* scalars: 1-D numpy arrays (float64, int64, bool; object dtype for strings, None = null);
* dense vectors: 2-D float64 arrays of shape (N, d);
* sparse vectors: `Sparse` inside the runtime, ``scipy.sparse.csr_matrix`` at the API
  (`Bundle.transform`); `Sparse` exists because building a csr_matrix costs ~12 µs,
  more than a whole one-row op should;
* arrays (token lists): 1-D object arrays whose items are lists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse

from inferline.containers.core.errors import UnprocessableEntity


@dataclass(frozen=True, slots=True)
class Sparse:
    """N sparse vectors of length `size` in CSR layout (indices sorted within a row)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    size: int

    @property
    def rows(self) -> int:
        return len(self.indptr) - 1

    def row_ids(self) -> np.ndarray:
        """The row of every stored value."""
        return np.repeat(np.arange(self.rows), np.diff(self.indptr))

    def to_dense(self) -> np.ndarray:
        out = np.zeros((self.rows, self.size))
        if self.rows == 1:
            out[0, self.indices] = self.data
        else:
            out[self.row_ids(), self.indices] = self.data
        return out

    def to_csr(self) -> scipy.sparse.csr_matrix:
        return _csr(self.data, self.indices, self.indptr, (self.rows, self.size))

    def with_data(self, data: np.ndarray) -> Sparse:
        return Sparse(data, self.indices, self.indptr, self.size)

    def take(self, rows: np.ndarray) -> Sparse:
        """The given rows (integer positions), in order."""
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum(counts, out=indptr[1:])
        # Position k of the result reads stored value starts[row] + (k - indptr[row]).
        picks = np.repeat(starts - indptr[:-1], counts) + np.arange(indptr[-1])
        return Sparse(self.data[picks], self.indices[picks], indptr, self.size)

    @classmethod
    def from_csr(cls, matrix: Any) -> Sparse:
        csr = scipy.sparse.csr_matrix(matrix)
        csr.sort_indices()
        return cls(
            csr.data.astype(np.float64),
            csr.indices.astype(np.int64),
            csr.indptr.astype(np.int64),
            csr.shape[1],
        )

    @classmethod
    def from_dense(cls, matrix: np.ndarray) -> Sparse:
        rows, cols = np.nonzero(matrix)
        indptr = np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=len(matrix)))))
        return cls(
            matrix[rows, cols].astype(np.float64), cols.astype(np.int64), indptr, matrix.shape[1]
        )

    @classmethod
    def one_hot(cls, index: np.ndarray, size: int) -> Sparse:
        """Row i has a 1.0 at index[i], or nothing where index[i] is outside [0, size)."""
        valid = (index >= 0) & (index < size)
        indptr = np.zeros(len(index) + 1, dtype=np.int64)
        np.cumsum(valid, out=indptr[1:])
        return cls(np.ones(int(indptr[-1])), index[valid], indptr, size)


def _checked_csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
) -> scipy.sparse.csr_matrix:
    return scipy.sparse.csr_matrix((data, indices, indptr), shape=shape)


_CSR = scipy.sparse.csr_matrix
_TEMPLATE = _checked_csr(np.ones(1), np.zeros(1, np.int64), np.array([0, 1]), (1, 1))


def _fast_csr(
    data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: tuple[int, int]
) -> scipy.sparse.csr_matrix:
    """A csr_matrix from arrays already in canonical form (sorted, no duplicates).

    scipy's constructor re-checks the format, ~12 µs a matrix: more than a whole
    one-row pipeline. A shallow copy of a checked template with the arrays swapped
    in skips that; an import-time self-check falls back to the constructor should a
    scipy version store its matrices differently.
    """
    matrix = _CSR.__new__(_CSR)
    matrix.__dict__.update(_TEMPLATE.__dict__)  # a shallow copy, minus copy.copy's overhead
    matrix.data, matrix.indices, matrix.indptr = data, indices, indptr
    matrix._shape = shape  # type: ignore[attr-defined]  # scipy's private slot, not in its stubs
    return matrix


def _fast_csr_works() -> bool:
    probe = (np.array([2.0, 3.0]), np.array([1, 0], np.int64), np.array([0, 1, 2]), (2, 3))
    try:
        fast, slow = _fast_csr(*probe), _checked_csr(*probe)
        vector = np.arange(3.0)
        return (
            fast.shape == slow.shape
            and np.array_equal(fast.toarray(), slow.toarray())
            and (fast @ vector).tolist() == (slow @ vector).tolist()
        )
    except Exception:  # any change in scipy's internals means: use the constructor
        return False


_csr = _fast_csr if _fast_csr_works() else _checked_csr

Column = np.ndarray | Sparse
Frame = dict[str, Column]


def rows_of(column: Any) -> int:
    """The number of rows of a column."""
    return column.rows if isinstance(column, Sparse) else len(column)


def dense(column: Column) -> np.ndarray:
    """A vector column as an (N, d) float array."""
    if isinstance(column, Sparse):
        return column.to_dense()
    if column.ndim == 1:
        if column.dtype == object:
            return _vectors_from_objects(column)
        return column.astype(np.float64).reshape(-1, 1)
    return column if column.dtype == np.float64 else column.astype(np.float64)


def width(column: Column) -> int:
    """The vector length of a column (1 for scalars)."""
    if isinstance(column, Sparse):
        return column.size
    return 1 if column.ndim == 1 else column.shape[1]


def doubles(column: Column, name: str) -> np.ndarray:
    """A scalar column as float64; null (None) becomes NaN, text must parse."""
    if isinstance(column, np.ndarray) and column.ndim == 1 and column.dtype != object:
        return column if column.dtype == np.float64 else column.astype(np.float64)
    if isinstance(column, Sparse) or column.ndim != 1:
        raise UnprocessableEntity(f"column {name!r} must be a number, got a vector")
    out = np.empty(len(column))
    for row, value in enumerate(column):
        try:
            out[row] = np.nan if value is None else float(value)
        except (TypeError, ValueError):
            raise UnprocessableEntity(
                f"column {name!r} must be a number, got {value!r} (row {row + 1})"
            ) from None
    return out


def take_rows(frame: Frame, keep: np.ndarray) -> Frame:
    """Every column filtered to the rows where `keep` is True (a 'skip' handle_invalid)."""
    positions = np.flatnonzero(keep)
    return {
        name: (col.take(positions) if isinstance(col, Sparse) else col[positions])
        for name, col in frame.items()
    }


def to_runtime(column: Any) -> Column:
    """A column as given to `Bundle.transform` (numpy, scipy.sparse, pandas or lists),
    in the runtime's own types."""
    if scipy.sparse.issparse(column):
        return Sparse.from_csr(column)
    if hasattr(column, "to_numpy"):  # a pandas Series
        column = column.to_numpy()
    if isinstance(column, np.ndarray):
        return column
    values = list(column)
    if values and all(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        numbers = all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for v in values for x in v
        )
        if numbers and len({len(v) for v in values}) == 1:
            return np.array(values, dtype=np.float64)  # dense vectors
        return objects([list(v) for v in values])  # token lists
    if any(v is None or isinstance(v, str) for v in values):
        return objects(values)
    return np.asarray(values)


def objects(items: list[Any]) -> np.ndarray:
    """A 1-D object array holding `items` as they are (lists stay lists)."""
    array = np.empty(len(items), dtype=object)
    array[:] = items
    return array


def to_api(column: Column) -> Any:
    """A runtime column for `Bundle.transform`'s caller: csr_matrix for sparse, and a
    copy of the read-only arrays the ops share between requests, so callers own it."""
    if isinstance(column, Sparse):
        if not column.data.flags.writeable:
            column = Sparse(
                column.data.copy(), column.indices.copy(), column.indptr.copy(), column.size
            )
        return column.to_csr()
    return column if column.flags.writeable else column.copy()


def _vectors_from_objects(column: np.ndarray) -> np.ndarray:
    try:
        return np.array(
            [np.asarray(v, dtype=np.float64) for v in column], dtype=np.float64
        ).reshape(len(column), -1)
    except (TypeError, ValueError):
        raise UnprocessableEntity("a vector column holds values that are not numbers") from None
