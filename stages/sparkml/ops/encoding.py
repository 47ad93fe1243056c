"""Encoding ops: labels to indices and back, one-hot vectors, category maps.

StringIndexer, IndexToString, OneHotEncoder, VectorIndexer, MLeap's StringMap and
MultinomialLabeler. Values are cast to text as Spark casts them (doubles as Java prints
them); one_hot_encoder truncates fractional indices as Spark does.
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
    objects,
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
        if isinstance(column, np.ndarray) and len(column) == 1 and column.dtype == np.float64:
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


@register("multinomial_labeler")
class MultinomialLabeler(Op):
    """MLeap's MultinomialLabeler: the scores ≥ threshold and their labels, per row."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        attrs = spec.attributes
        self.threshold = attrs.double("threshold", 0.0)
        self.labels = np.array(attrs.strings("labels"), dtype=object)
        if "features" not in spec.inputs:
            raise spec.error("node.json has no 'features' input port")
        self.source = spec.inputs["features"]

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
