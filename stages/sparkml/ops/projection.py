"""Projections and hashes of a vector: PCA, DCT and the two LSH families."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.fft

from inferline.containers.core.errors import UnprocessableEntity
from inferline.stages.sparkml.columns import (
    Column,
    dense,
)
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    register,
)


@register("pca")
class PCA(ColumnOp):
    """Projection on the principal components (dims [features, k]); no centering."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        components = spec.attributes.tensor("principal_components")
        self.components = components.reshape(-1, 1) if components.ndim == 1 else components

    def compute(self, column: Column, k: int, name: str) -> Any:
        return dense(column) @ self.components


@register("dct")
class DCT(ColumnOp):
    """Orthonormal DCT-II (or its inverse), as Spark's DCT via JTransforms."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.inverse = spec.attributes.boolean("inverse", False)

    def compute(self, column: Column, k: int, name: str) -> Any:
        transform = scipy.fft.idct if self.inverse else scipy.fft.dct
        return transform(dense(column), type=2, norm="ortho", axis=1)


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
