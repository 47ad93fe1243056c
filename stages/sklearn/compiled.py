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
handle_unknown='error', a missing category, an infinite number, a non-finite feature
for a linear model, a dtype scikit-learn would treat differently) by raising
`Unsupported`; `CompiledMethod` then calls scikit-learn's own method on the same input,
so its answer, its warning or its error is the reply. It calls scikit-learn straight
away, too, for what it checks before the arithmetic: column names other than the
fitted ones (scikit-learn selects or refuses by name), names where none were fitted
(it warns), no rows, extra arguments, and a non-default `set_output`/`set_config`.

`compile_in_place` puts the compiled methods on one estimator instance (a script's
model_fn's model): the class, `isinstance` and the user's calls are unchanged.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

Step = Callable[["Table"], np.ndarray]
LINEAR_REGRESSORS = (LinearRegression, Ridge, RidgeCV)
# The public methods a model may have compiled (those `_compile` knows are compiled).
METHODS = ("transform", "predict", "predict_proba", "predict_log_proba", "decision_function")


class Unsupported(Exception):
    """This input is outside what the compiled function reproduces exactly."""


class Table:
    """A step's input: its columns, and the 2-D array itself when the input is one.

    `owned`: the array is a previous compiled step's own result, which the next step may
    change in place (never the caller's data).
    """

    def __init__(
        self, columns: list[np.ndarray] | None, array: np.ndarray | None, owned: bool = False
    ) -> None:
        self._columns = columns
        self.array = array
        self.owned = owned

    @classmethod
    def of(cls, data: Any) -> Table:
        if isinstance(data, np.ndarray) and data.ndim == 2 and data.shape[0]:
            return cls(None, data)
        if isinstance(data, pd.DataFrame) and len(data.index):
            return cls(_frame_columns(data), None)
        raise Unsupported()  # scikit-learn refuses no rows; anything else is its to judge

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


def compile_method(estimator: Any, method: str) -> CompiledMethod | None:
    """`estimator.<method>` as numpy where recognised (None where not)."""
    try:
        step = _compile(estimator, method)
    except Exception:  # noqa: BLE001 - an unfitted or odd estimator is simply not compiled
        return None
    return None if step is None else CompiledMethod(estimator, method, step)


def compile_in_place(model: Any) -> tuple[str, ...]:
    """Shadow each of `model`'s METHODS that compiles with its `CompiledMethod`, on this
    instance only; the names of those compiled. Anything else is left as it is."""
    if not isinstance(getattr(model, "__dict__", None), dict):
        return ()
    compiled = []
    for method in METHODS:
        if method in vars(model) or _class_method(model, method) is None:
            continue  # the user's own attribute, or no such method
        function = compile_method(model, method)
        if function is not None:
            vars(model)[method] = function
            compiled.append(method)
    return tuple(compiled)


class CompiledMethod:
    """`estimator.<method>(X)` as numpy; scikit-learn's own method for anything else.

    Pickled or copied with its estimator, it compiles again on first use (pickling one
    needs inferline to unpickle it).
    """

    def __init__(self, estimator: Any, method: str, step: Step) -> None:
        self._start(estimator, method, step)
        self._bind()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 1 and not kwargs:
            # Unsupported, or anything else the arithmetic trips on: scikit-learn's own
            # answer or error is the reply (raised outside this block: no chained error).
            with contextlib.suppress(Exception):
                return self.arithmetic(args[0])
        if self._fallback is None:
            self._build()
        assert self._fallback is not None
        return self._fallback(*args, **kwargs)

    def arithmetic(self, data: Any) -> Any:
        """The compiled path alone: raises Unsupported where the call would fall back."""
        if not self._ready:
            self._build()
        if self._step is None or not self._usable(data):
            raise Unsupported()
        return self._step(Table.of(data))

    def on_columns(self, names: list[str], columns: list[np.ndarray]) -> Any:
        """`self(frame)` for a frame that holds exactly these named 1-D columns, without
        building the frame (a DataFrame costs more than the arithmetic of a row).

        Raises Unsupported wherever the call would not be the compiled arithmetic (or the
        arithmetic trips): the caller then builds the frame and calls, so scikit-learn's
        own answer or error is the reply.
        """
        if not self._ready:
            self._build()
        if self._step is None or not columns or not len(columns[0]):
            raise Unsupported()
        if not self._configured_default() or names != self._names:
            raise Unsupported()
        try:
            return self._step(Table(list(columns), None))
        except Exception:  # noqa: BLE001 - as __call__: scikit-learn then answers
            raise Unsupported() from None

    def __repr__(self) -> str:
        return f"<compiled {type(self._estimator).__name__}.{self._method}>"

    def __getstate__(self) -> dict[str, Any]:
        return {"estimator": self._estimator, "method": self._method}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # The estimator may not hold its own state yet: compile on first call.
        self._start(state["estimator"], state["method"], None)

    def _start(self, estimator: Any, method: str, step: Step | None) -> None:
        self._estimator = estimator
        self._method = method
        self._step = step
        self._ready = step is not None
        self._names: list[str] | None = None
        self._fallback: Callable[..., Any] | None = None

    def _bind(self) -> None:
        self._fallback = _class_method(self._estimator, self._method)
        names = getattr(self._estimator, "feature_names_in_", None)
        self._names = None if names is None else [str(name) for name in names]

    def _build(self) -> None:
        try:
            self._step = _compile(self._estimator, self._method)
        except Exception:  # noqa: BLE001 - as compile_method: then it is not compiled
            self._step = None
        self._bind()
        self._ready = True

    def _usable(self, data: Any) -> bool:
        """What scikit-learn checks before any arithmetic: decided as it decides, or left
        to it (its warnings and errors are then its own)."""
        if not self._configured_default():
            return False
        if isinstance(data, pd.DataFrame):
            columns = data.columns.tolist()
            if self._names is None:
                return not any(isinstance(column, str) for column in columns)
            return columns == self._names
        return self._names is None  # an array for a model fitted on names: it warns

    def _configured_default(self) -> bool:
        """No scikit-learn output setting (global or the estimator's) that changes answers."""
        config = sklearn.get_config()
        if config["transform_output"] != "default" or config.get("array_api_dispatch"):
            return False
        own = getattr(self._estimator, "_sklearn_output_config", {})
        return bool(own.get("transform", "default") == "default")


def _frame_columns(frame: pd.DataFrame) -> list[np.ndarray]:
    """Each column's values, by position, as pandas stores them (read, never written).

    A column pandas holds in an extension array (categorical, nullable, sparse, Arrow)
    is scikit-learn's to convert: its rules for those differ (sparse frames become
    sparse matrices, for one).
    """
    # pandas' private _get_column_array reads a column without building a Series: about
    # 1.5 µs a column against 25 µs for frame[name].to_numpy(), most of a one-row call.
    read = getattr(frame, "_get_column_array", None)
    columns = []
    for position in range(len(frame.columns)):
        if read is not None:
            column = read(position)  # a numpy array, or an extension array
        else:  # public pandas, should the private reader go
            series = frame.iloc[:, position]
            column = series.to_numpy() if isinstance(series.dtype, np.dtype) else None
        if not isinstance(column, np.ndarray):
            raise Unsupported()
        columns.append(column)
    return columns


def _class_method(estimator: Any, method: str) -> Callable[..., Any] | None:
    """The method as the class defines it, bound to `estimator` (past any instance
    attribute); None when there is none or it is not available (`available_if`)."""
    for klass in type(estimator).__mro__:
        attribute = vars(klass).get(method)
        if attribute is not None:
            try:
                bound: Callable[..., Any] = attribute.__get__(estimator, type(estimator))
            except AttributeError:
                return None
            return bound if callable(bound) else None
    return None


def _compile(estimator: Any, method: str) -> Step | None:
    config = getattr(estimator, "_sklearn_output_config", {})
    if config.get("transform", "default") != "default":
        return None  # set_output(transform="pandas"): scikit-learn answers frames
    if type(estimator) is Pipeline:  # not a subclass: it may answer its own way
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
        # A step answers a fresh array, or (all passthrough) the very array it was given.
        owned = result is not table.array or table.owned
        for step in steps[1:]:
            given = result
            result = step(Table(None, given, owned=owned))
            owned = result is not given or owned
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
        return np.concatenate(outputs, axis=1)  # np.hstack's result, without its checks

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

    every = bool(keep.all())

    def run(table: Table) -> np.ndarray:
        values = _numeric_block(table, len(statistics))
        if not every:
            values = values[:, keep]
        holes = np.isnan(values)
        if np.count_nonzero(holes):  # cheaper than .any() on a few values
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
    """A float64 copy of numeric columns, as scikit-learn's validation makes (a previous
    step's own array as it is); an infinity is scikit-learn's to refuse (imputers and
    scalers allow only NaN)."""
    if table.array is not None:
        if table.array.shape[1] != width:
            raise Unsupported()
        array = _numeric(table.array)
        owned = table.owned and array.dtype == np.float64
        block = array if owned else array.astype(np.float64)  # astype copies
    else:
        columns = table.columns
        if len(columns) != width:
            raise Unsupported()
        # Column by column into one C-ordered array: np.column_stack costs more on one row.
        block = np.empty((len(columns[0]), width), dtype=np.float64)
        for position, column in enumerate(columns):
            block[:, position] = _numeric(column)
    if np.count_nonzero(np.isinf(block)):
        raise Unsupported()
    return block


def _as_array(table: Table) -> np.ndarray:
    if table.array is None:
        raise Unsupported()
    return table.array
