"""Imputation: Spark's Imputer replaces null, NaN or the missing value by a surrogate."""

from __future__ import annotations

from typing import Any

import numpy as np

from inferline.stages.sparkml.columns import (
    Column,
    doubles,
)
from inferline.stages.sparkml.ops.base import (
    ColumnOp,
    NodeSpec,
    register,
)


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
