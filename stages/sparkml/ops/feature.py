"""Feature ops: indexers, encoders, the assembler, scalers and vector reshapers.

Where MLeap and Spark disagree, these follow Spark (docs/sparkml-ops.md lists the
cases): one_hot_encoder truncates fractional indices, max_abs_scaler does not clamp,
vector_assembler refuses NaN and null as Spark's default handleInvalid=error does.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import (
    Column,
    Frame,
    Sparse,
    dense,
    doubles,
    objects,
    take_rows,
    width,
)
from inferline.stages.sparkml.javatext import java_double
from inferline.stages.sparkml.ops.base import ColumnOp, NodeSpec, Op, column_pairs, register

HANDLE_INVALID = ("error", "skip", "keep")
# Above this width the assembler concatenates sparse parts without densifying them.
DENSE_ASSEMBLY_WIDTH = 65536


def handle_invalid(spec: NodeSpec, default: str = "error") -> str:
    """The node's handle_invalid mode, checked at load."""
    mode = spec.attributes.string("handle_invalid", default) or default
    if mode not in HANDLE_INVALID:
        raise spec.error(f"handle_invalid must be one of {', '.join(HANDLE_INVALID)}, got {mode!r}")
    return mode


def as_text(column: Column) -> list[Any]:
    """Values as Spark casts them to string: doubles as Java prints them, None kept."""
    if isinstance(column, Sparse) or column.ndim != 1:
        raise UnprocessableEntity("a string indexer input must be a scalar column, got a vector")
    if column.dtype == object:
        return [v if v is None or isinstance(v, str) else _scalar_text(v) for v in column]
    if column.dtype.kind == "f":
        return [java_double(v) for v in column]
    if column.dtype.kind == "b":
        return ["true" if v else "false" for v in column]
    return [str(v) for v in column.tolist()]


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return java_double(value) if isinstance(value, float) else str(value)


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only array, safe to hand out to every request."""
    array.flags.writeable = False
    return array


def _shown(values: list[str], limit: int = 10) -> str:
    more = f", ... ({len(values)} in all)" if len(values) > limit else ""
    return ", ".join(repr(v) for v in values[:limit]) + more


@register("string_indexer")
class StringIndexer(Op):
    """Label -> its position in the fitted labels, as a double; per column."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        if "labels_length" in attrs:
            count = attrs.integer("labels_length")
            self.labels = [attrs.strings(f"labels_array_{i}") for i in range(count)]
        else:  # MLeap <= 0.15 and mleap.sklearn: one column, `labels`
            self.labels = [attrs.strings("labels")]
        self.handle_invalid = handle_invalid(spec)
        self.pairs = column_pairs(spec)
        if any(k >= len(self.labels) for k, _, _ in self.pairs):
            raise spec.error(f"{len(self.pairs)} columns but {len(self.labels)} label lists")
        self.lookups = [{label: float(i) for i, label in enumerate(ls)} for ls in self.labels]
        # One-row answers, built once: a request of one row is the common case.
        self.single = [
            {label: _frozen(np.array([float(i)])) for i, label in enumerate(ls)}
            for ls in self.labels
        ]

    def transform(self, frame: Frame) -> Frame:
        out = dict(frame)
        keep: np.ndarray | None = None
        for k, source, target in self.pairs:
            lookup = self.lookups[k]
            texts = as_text(frame[source])
            if len(texts) == 1 and texts[0] in self.single[k]:
                out[target] = self.single[k][texts[0]]
                continue
            index = np.array([lookup.get(text, -1.0) for text in texts])
            invalid = index < 0
            if invalid.any():
                if self.handle_invalid == "keep":
                    index[invalid] = len(self.labels[k])
                elif self.handle_invalid == "skip":
                    keep = ~invalid if keep is None else keep & ~invalid
                else:
                    row = int(np.flatnonzero(invalid)[0])
                    shown = "null" if texts[row] is None else repr(texts[row])
                    raise UnprocessableEntity(
                        f"column {source!r}: unseen label {shown} (row {row + 1}); "
                        f"known labels: {_shown(self.labels[k])}"
                    )
            out[target] = index
        return out if keep is None else take_rows(out, keep)


@register("reverse_string_indexer")
class ReverseStringIndexer(ColumnOp):
    """Index (a double) -> its label; Spark's IndexToString."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.labels = spec.attributes.strings("labels")
        self.table = np.array(self.labels, dtype=object)

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = doubles(column, name)
        index = values.astype(np.int64, copy=False) if np.isfinite(values).all() else None
        if (
            index is None
            or (index != values).any()
            or (index < 0).any()
            or (index >= len(self.labels)).any()
        ):
            bad = next(v for v in values if not (0 <= v < len(self.labels) and v == int(v)))
            raise UnprocessableEntity(
                f"column {name!r}: unseen index {java_double(bad)}; "
                f"the labels have indices 0 to {len(self.labels) - 1}"
            )
        return self.table[index]


@register("one_hot_encoder")
class OneHotEncoder(ColumnOp):
    """Category index -> sparse one-hot vector; Spark 3 multi-column and legacy `size`."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.drop_last = attrs.boolean("drop_last", True)
        if "category_sizes" in attrs:
            self.categories = [int(n) for n in attrs.integers("category_sizes")]
            self.handle_invalid = handle_invalid(spec)
        else:
            # Legacy (Spark 2): `size` is the output length, already reduced by drop_last;
            # MLeap then defaults handle_invalid to keep (drop_last) or error.
            self.categories = [attrs.integer("size")]
            self.handle_invalid = handle_invalid(spec, "keep" if self.drop_last else "error")
        if self.handle_invalid == "skip":
            raise spec.error("handle_invalid 'skip' is not a OneHotEncoder mode (error, keep)")
        keep = self.handle_invalid == "keep"
        self.sizes = [
            n + 1 if keep and not self.drop_last else n - 1 if self.drop_last and not keep else n
            for n in self.categories
        ]
        if any(k >= len(self.categories) for k, _, _ in self.pairs):
            raise spec.error(f"{len(self.pairs)} columns but {len(self.categories)} category sizes")
        self.single = [
            [_frozen_sparse(Sparse.one_hot(np.array([i]), size)) for i in range(n)]
            for n, size in zip(self.categories, self.sizes, strict=True)
        ]

    def compute(self, column: Column, k: int, name: str) -> Any:
        if len(column) == 1 and isinstance(column, np.ndarray) and column.dtype == np.float64:
            value = float(column[0])
            if 0 <= value < self.categories[k]:
                return self.single[k][int(value)]
        values = doubles(column, name)
        categories = self.categories[k]
        valid = (values >= 0) & (values < categories)  # NaN compares False: invalid
        index = np.where(valid, values, 0).astype(np.int64)
        if not valid.all():
            if self.handle_invalid != "keep":
                bad = values[~valid][0]
                raise UnprocessableEntity(
                    f"column {name!r}: category index {java_double(bad)} is invalid; "
                    f"expected 0 to {categories - 1} (handle_invalid=error)"
                )
            index[~valid] = categories
        return Sparse.one_hot(index, self.sizes[k])


def _frozen_sparse(vectors: Sparse) -> Sparse:
    for array in (vectors.data, vectors.indices, vectors.indptr):
        array.flags.writeable = False
    return vectors


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


def _scale(column: Column, factors: np.ndarray) -> Column:
    """Element-wise product that keeps sparse vectors sparse."""
    if isinstance(column, Sparse):
        return column.with_data(column.data * factors[column.indices])
    return dense(column) * factors


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


@register("imputer")
class Imputer(ColumnOp):
    """Null, NaN or the missing value -> the fitted surrogate."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.surrogate = attrs.double("surrogate_value")
        self.missing = attrs.double("missing_value", np.nan)

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = doubles(column, name)
        missing = np.isnan(values) | (values == self.missing)
        return np.where(missing, self.surrogate, values)


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


@register("pca")
class PCA(ColumnOp):
    """Projection on the principal components (dims [features, k]); no centering."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        components = spec.attributes.tensor("principal_components")
        self.components = components.reshape(-1, 1) if components.ndim == 1 else components

    def compute(self, column: Column, k: int, name: str) -> Any:
        return dense(column) @ self.components


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

    def transform(self, frame: Frame) -> Frame:
        if self.target is None:
            return frame
        result: np.ndarray | None = None
        for source, encoding in zip(self.sources, self.encodings, strict=True):
            encoded = _encode(dense(frame[source]), encoding, source)
            result = (
                encoded
                if result is None
                else (result[:, :, None] * encoded[:, None, :]).reshape(len(result), -1)
            )
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


@register("vector_indexer")
class VectorIndexer(Op):
    """Categorical features' raw values -> category ids; others pass through."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.maps = {
            int(key): dict(
                zip(
                    attrs.doubles(f"key_{key}_keys").tolist(),
                    attrs.integers(f"key_{key}_values").astype(float).tolist(),
                    strict=True,
                )
            )
            for key in attrs.integers("keys", [])
        }
        self.handle_invalid = handle_invalid(spec)
        self.pairs = column_pairs(spec)

    def transform(self, frame: Frame) -> Frame:
        out = dict(frame)
        keep: np.ndarray | None = None
        for _, source, target in self.pairs:
            values = dense(frame[source]).copy()
            for feature, mapping in self.maps.items():
                raw = values[:, feature].tolist()
                mapped = np.array([mapping.get(v, -1.0) for v in raw])
                unknown = mapped < 0
                if unknown.any():
                    if self.handle_invalid == "keep":
                        mapped[unknown] = len(mapping)
                    elif self.handle_invalid == "skip":
                        keep = ~unknown if keep is None else keep & ~unknown
                    else:
                        raise UnprocessableEntity(
                            f"column {source!r}: feature {feature} has unseen value "
                            f"{java_double(raw[int(np.flatnonzero(unknown)[0])])}"
                        )
                values[:, feature] = mapped
            out[target] = Sparse.from_dense(values) if isinstance(frame[source], Sparse) else values
        return out if keep is None else take_rows(out, keep)


@register("string_map")
class StringMap(ColumnOp):
    """MLeap's StringMap: label -> value from a fitted table, or a default."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        labels = attrs.strings("labels")
        self.table = dict(zip(labels, attrs.doubles("values").tolist(), strict=True))
        self.handle_invalid = handle_invalid(spec)
        self.default = attrs.double("default_value", 0.0)

    def compute(self, column: Column, k: int, name: str) -> Any:
        texts = as_text(column)
        values = [self.table.get(text) for text in texts]
        if self.handle_invalid != "keep" and None in values:
            bad = texts[values.index(None)]
            raise UnprocessableEntity(f"column {name!r}: {bad!r} is not in the string map")
        return np.array([self.default if v is None else v for v in values])


@register("dct")
class DCT(ColumnOp):
    """Orthonormal DCT-II (or its inverse), as Spark's DCT via JTransforms."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.inverse = spec.attributes.boolean("inverse", False)

    def compute(self, column: Column, k: int, name: str) -> Any:
        transform = scipy.fft.idct if self.inverse else scipy.fft.dct
        return transform(dense(column), type=2, norm="ortho", axis=1)


@register("multinomial_labeler")
class MultinomialLabeler(Op):
    """MLeap's MultinomialLabeler: the scores ≥ threshold and their labels, per row."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.threshold = attrs.double("threshold", 0.0)
        self.labels = np.array(attrs.strings("labels"), dtype=object)
        self.source = spec.inputs.get("features")
        if self.source is None:
            raise spec.error("node.json has no 'features' input port")

    def transform(self, frame: Frame) -> Frame:
        scores = dense(frame[self.source])
        if scores.shape[1] > len(self.labels):
            raise UnprocessableEntity(
                f"column {self.source!r} has {scores.shape[1]} scores for {len(self.labels)} labels"
            )
        chosen = [np.flatnonzero(row >= self.threshold) for row in scores]
        produced = {
            "probabilities": objects(
                [row[i].tolist() for row, i in zip(scores, chosen, strict=True)]
            ),
            "labels": objects([self.labels[i].tolist() for i in chosen]),
        }
        return {**frame, **{self.outputs[p]: c for p, c in produced.items() if p in self.outputs}}


# Spark's MinHashLSH.HASH_PRIME
HASH_PRIME = 2038074743


@register("min_hash_lsh")
class MinHashLSH(ColumnOp):
    """One min-hash per table over the vector's non-zero indices; (N, tables) dense.

    Spark outputs an array of 1-element vectors; here each row is one vector of the
    hash values, in table order.
    """

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.a = attrs.integers("random_coefficients_a")
        self.b = attrs.integers("random_coefficients_b")
        if len(self.a) != len(self.b):
            raise spec.error("random_coefficients_a and _b differ in length")

    def compute(self, column: Column, k: int, name: str) -> Any:
        values = dense(column)
        out = np.empty((len(values), len(self.a)))
        for row, vector in enumerate(values):
            active = np.flatnonzero(vector)
            if not len(active):
                raise UnprocessableEntity(
                    f"column {name!r} (row {row + 1}): MinHashLSH needs a non-zero vector"
                )
            hashes = ((1 + active[:, None]) * self.a[None, :] + self.b[None, :]) % HASH_PRIME
            out[row] = hashes.min(axis=0)
        return out


@register("bucketed_random_projection_lsh")
class BucketedRandomProjectionLSH(ColumnOp):
    """floor(x · unit / bucket_length) per random unit vector; (N, tables) dense."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.units = np.array(attrs.tensors("random_unit_vectors"), dtype=np.float64)
        self.bucket_length = attrs.double("bucket_length")

    def compute(self, column: Column, k: int, name: str) -> Any:
        return np.floor(dense(column) @ self.units.T / self.bucket_length)
