"""Fitted scikit-learn estimators compiled to plain numpy, for the one-row path.

scikit-learn spends milliseconds per call validating input and walking a
ColumnTransformer, around microseconds of arithmetic. `compile_method` turns the
fitted estimators it recognises into numpy functions that do the same arithmetic in
the same order, so the answers are bit-for-bit scikit-learn's:

- Pipeline (of the steps below), ColumnTransformer (dense output; 'drop',
  'passthrough' and compiled transformers), SimpleImputer (NaN missing values, no
  indicator), StandardScaler, OneHotEncoder (no drop, no infrequent categories);
- LinearRegression, Ridge and RidgeCV `predict`; LogisticRegression `predict` and
  `decision_function`.

Anything else is not compiled (`None`), and the stage calls scikit-learn. A compiled
function meets input it does not reproduce exactly (an unknown category under
handle_unknown='error', a missing category, a non-finite feature for a linear model,
a dtype scikit-learn would treat differently) by raising `Unsupported`; the wrapper
then calls scikit-learn on the same input, so its answer or its error is the reply.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

Step = Callable[["Table"], np.ndarray]
LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV)


class Unsupported(Exception):
    """This input is outside what the compiled function reproduces exactly."""


class Table:
    """A step's input: its columns, and the 2-D array itself when the input is one."""

    def __init__(self, columns: list[np.ndarray] | None, array: np.ndarray | None) -> None:
        self._columns = columns
        self.array = array

    @classmethod
    def of(cls, data: Any) -> Table:
        if isinstance(data, np.ndarray) and data.ndim == 2:
            return cls(None, data)
        if isinstance(data, pd.DataFrame) and data.columns.is_unique:
            return cls([data[name].to_numpy() for name in data.columns], None)
        raise Unsupported()

    @property
    def columns(self) -> list[np.ndarray]:
        if self._columns is None:
            assert self.array is not None
            self._columns = list(self.array.T)
        return self._columns

    @property
    def width(self) -> int:
        if self.array is not None:
            return int(self.array.shape[1])
        return len(self.columns)


def compile_method(estimator: Any, method: str) -> Callable[[Any], Any] | None:
    """`getattr(estimator, method)` as numpy where recognised (None where not)."""
    step = _compile(estimator, method)
    if step is None:
        return None
    fallback = getattr(estimator, method)

    def run(data: Any) -> Any:
        try:
            return step(Table.of(data))
        except Unsupported:
            return fallback(data)

    return run


def _compile(estimator: Any, method: str) -> Step | None:
    config = getattr(estimator, "_sklearn_output_config", {})
    if config.get("transform", "default") != "default":
        return None  # set_output(transform="pandas"): scikit-learn answers frames
    if isinstance(estimator, Pipeline):
        return _pipeline(estimator, method)
    if method == "transform":
        if type(estimator) is ColumnTransformer:
            return _column_transformer(estimator)
        if type(estimator) is SimpleImputer:
            return _imputer(estimator)
        if type(estimator) is StandardScaler:
            return _scaler(estimator)
        if type(estimator) is OneHotEncoder:
            return _one_hot(estimator)
    if type(estimator) in LINEAR_REGRESSORS and method == "predict":
        return _linear(estimator, classes=None)
    if type(estimator) is LogisticRegression and method in ("predict", "decision_function"):
        return _linear(estimator, classes=estimator.classes_ if method == "predict" else None)
    return None


def _pipeline(pipeline: Pipeline, method: str) -> Step | None:
    steps: list[Step] = []
    last = len(pipeline.steps) - 1
    for index, (_, step) in enumerate(pipeline.steps):
        if step is None or step == "passthrough":
            if index == last and method != "transform":
                return None
            continue
        compiled = _compile(step, method if index == last else "transform")
        if compiled is None:
            return None
        steps.append(compiled)
    if not steps:
        return _as_array

    def run(table: Table) -> np.ndarray:
        result = steps[0](table)
        for step in steps[1:]:
            result = step(Table(None, result))
        return result

    return run


def _column_transformer(transformer: ColumnTransformer) -> Step | None:
    if getattr(transformer, "sparse_output_", True):
        return None
    positions: dict[str, list[int]] | None = getattr(
        transformer, "_transformer_to_input_indices", None
    )
    if positions is None:
        return None
    parts: list[tuple[list[int], Step | None]] = []  # None: passthrough
    for name, step, _ in transformer.transformers_:
        columns = [int(position) for position in positions.get(name, [])]
        if (isinstance(step, str) and step == "drop") or not columns:
            continue
        if _is_passthrough(step):
            parts.append((columns, None))
            continue
        compiled = _compile(step, "transform")
        if compiled is None:
            return None
        parts.append((columns, compiled))
    width = int(transformer.n_features_in_)

    def run(table: Table) -> np.ndarray:
        if table.width != width:
            raise Unsupported()
        every = table.columns
        outputs = []
        for columns, step in parts:
            selected = [every[position] for position in columns]
            if step is None:
                outputs.append(np.column_stack([_numeric(column) for column in selected]))
            else:
                outputs.append(step(Table(selected, None)))
        return np.hstack(outputs)

    return run


def _is_passthrough(step: Any) -> bool:
    """'passthrough', or the identity FunctionTransformer fitting turns it into."""
    if isinstance(step, str):
        return step == "passthrough"
    return (
        type(step) is FunctionTransformer
        and step.func is None
        and not step.validate
        and getattr(step, "_sklearn_output_config", {}).get("transform", "default") == "default"
    )


def _imputer(imputer: SimpleImputer) -> Step | None:
    missing = imputer.missing_values
    if imputer.add_indicator or not (isinstance(missing, float) and np.isnan(missing)):
        return None
    statistics = imputer.statistics_
    if statistics.dtype == object:
        if not all(isinstance(value, str) for value in statistics):
            return None
        return _string_passthrough(len(statistics))
    if statistics.dtype != np.float64 or imputer.strategy not in ("mean", "median"):
        return None  # most_frequent/constant keep integer input integer
    if imputer.strategy == "constant" or imputer.keep_empty_features:
        keep = np.ones(len(statistics), dtype=bool)
    else:
        keep = ~np.isnan(statistics)
    kept = statistics[keep]

    def run(table: Table) -> np.ndarray:
        values = _numeric_block(table, len(statistics))[:, keep]
        holes = np.isnan(values)
        if holes.any():
            values[holes] = np.broadcast_to(kept, values.shape)[holes]
        return values

    return run


def _string_passthrough(width: int) -> Step:
    """An imputer of string columns sees no NaN in strings: only strings pass through."""

    def run(table: Table) -> np.ndarray:
        columns = table.columns
        if len(columns) != width:
            raise Unsupported()
        for column in columns:
            if column.dtype != object or not all(isinstance(value, str) for value in column):
                raise Unsupported()  # None, NaN, numbers: scikit-learn's own rules
        return np.column_stack(columns)

    return run


def _scaler(scaler: StandardScaler) -> Step | None:
    mean = scaler.mean_ if scaler.with_mean else None
    scale = scaler.scale_ if scaler.with_std else None
    width = int(scaler.n_features_in_)

    def run(table: Table) -> np.ndarray:
        values = _numeric_block(table, width)
        if mean is not None:
            values -= mean
        if scale is not None:
            values /= scale
        return values

    return run


def _one_hot(encoder: OneHotEncoder) -> Step | None:
    if encoder.drop_idx_ is not None or getattr(encoder, "_infrequent_enabled", False):
        return None
    if encoder.dtype not in (np.float64, float):
        return None
    lookups: list[dict[str, int]] = []
    for categories in encoder.categories_:
        if categories.dtype != object or not all(isinstance(c, str) for c in categories):
            return None
        lookups.append({category: index for index, category in enumerate(categories)})
    ignore = encoder.handle_unknown == "ignore"
    offsets = np.cumsum([0, *(len(lookup) for lookup in lookups)])

    def run(table: Table) -> np.ndarray:
        columns = table.columns
        if len(columns) != len(lookups):
            raise Unsupported()
        rows = len(columns[0]) if columns else 0
        out = np.zeros((rows, int(offsets[-1])), dtype=np.float64)
        for feature, (column, lookup) in enumerate(zip(columns, lookups, strict=True)):
            base = int(offsets[feature])
            for row, value in enumerate(column):
                if type(value) is not str:
                    raise Unsupported()
                index = lookup.get(value)
                if index is None:
                    if not ignore:
                        raise Unsupported()  # scikit-learn raises its own error
                    continue
                out[row, base + index] = 1.0
        return out

    return run


def _linear(model: Any, classes: np.ndarray | None) -> Step:
    """`X @ coef + intercept` exactly as scikit-learn writes it (the same BLAS call)."""
    coef = model.coef_
    weights = coef if coef.ndim == 1 else coef.T
    intercept = model.intercept_
    width = int(model.n_features_in_)
    classifier = isinstance(model, LogisticRegression)

    def run(table: Table) -> np.ndarray:
        features = table.array
        if features is None or features.dtype != np.float64 or features.shape[1] != width:
            raise Unsupported()  # scikit-learn converts (or refuses) these itself
        if not np.isfinite(features).all():
            raise Unsupported()
        scores: np.ndarray = features @ weights + intercept
        if classifier and scores.ndim > 1 and scores.shape[1] == 1:
            scores = scores.reshape(-1)
        if classes is None:
            return scores
        indices = (scores > 0).astype(np.intp) if scores.ndim == 1 else scores.argmax(axis=1)
        labels: np.ndarray = np.take(classes, indices, axis=0)
        return labels

    return run


def _numeric(column: np.ndarray) -> np.ndarray:
    kind = column.dtype.kind
    if kind in "iu" or (kind == "f" and column.dtype.itemsize == 8):
        return column
    raise Unsupported()


def _numeric_block(table: Table, width: int) -> np.ndarray:
    """A fresh float64 copy of numeric columns, as scikit-learn's validation makes."""
    columns = table.columns
    if len(columns) != width:
        raise Unsupported()
    return np.column_stack([_numeric(column) for column in columns]).astype(np.float64, copy=False)


def _as_array(table: Table) -> np.ndarray:
    if table.array is None:
        raise Unsupported()
    return table.array
