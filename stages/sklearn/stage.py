"""SklearnStage: a fitted scikit-learn estimator or Pipeline behind the codecs.

Transformers answer with `transform`, predictors with `predict`; INFERLINE_SKLEARN_METHOD
chooses another (`predict_proba`, `decision_function`, ...). Headerless rows take the
column names the estimator was fitted with (`feature_names_in_`), so a ColumnTransformer
that selects columns by name works on SageMaker's headerless CSV. Estimators that
`compiled.py` recognises run as numpy with scikit-learn's exact answers (it falls
back to scikit-learn for anything else); INFERLINE_SKLEARN_COMPILE=false turns that off.
Outputs that are arrays are written by the codecs straight from the array
(`transform_columns`), and a model fitted on an array gets float CSV columns as one
without a DataFrame; what those paths do not write byte for byte goes through pandas.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from inferline.containers.core.codecs.table import ArrayTable, Columns
from inferline.containers.core.errors import ConfigurationError, UnprocessableEntity
from inferline.stages.base import FrameStage


def default_method(estimator: Any) -> str:
    return "predict" if hasattr(estimator, "predict") else "transform"


@dataclass(frozen=True)
class SklearnStage(FrameStage):
    """Serve `estimator.<method>(frame)`."""

    estimator: Any
    method: str = "transform"
    compiled: Callable[[Any], Any] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def for_estimator(
        cls, estimator: Any, method: str | None = None, compiled: bool = True
    ) -> SklearnStage:
        chosen = method or default_method(estimator)
        if not callable(getattr(estimator, chosen, None)):
            raise ConfigurationError(
                f"INFERLINE_SKLEARN_METHOD={chosen!r}: "
                f"{type(estimator).__name__} has no such method"
            )
        if not compiled:
            return cls(estimator, chosen)
        # Imported here: with compiling off, or for a script with no estimator, it is not.
        from inferline.stages.sklearn.compiled import compile_method

        return cls(estimator, chosen, compile_method(estimator, chosen))

    @functools.cached_property
    def input_columns(self) -> Sequence[str] | None:  # a fitted estimator's names stay
        names = getattr(self.estimator, "feature_names_in_", None)
        return None if names is None else tuple(str(name) for name in names)

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        data = model_input(self.estimator, frame)
        result = call(self.estimator, self.method, data, self.compiled)
        return output_frame(self.estimator, self.method, result)

    def transform_columns(self, columns: Columns) -> ArrayTable | pd.DataFrame:
        result = self._compiled_on_columns(columns)
        if result is None:
            data = direct_input(self.estimator, columns)
            result = call(self.estimator, self.method, data, self.compiled)
        return outputs(self.estimator, self.method, result)

    def _compiled_on_columns(self, columns: Columns) -> Any:
        """The compiled answer straight from the decoded columns, where the frame would
        hold them as they are and in the fitted order; None where the frame must decide."""
        on_columns = getattr(self.compiled, "on_columns", None)
        names = self.input_columns
        if on_columns is None or names is None or tuple(columns.names) != names:
            return None
        if not columns.framed_as_they_are():
            return None
        from inferline.stages.sklearn.compiled import Unsupported  # loaded with the compiled

        try:
            return on_columns(columns.names, columns.values)
        except Unsupported:
            return None


def direct_input(estimator: Any, columns: Columns) -> pd.DataFrame | np.ndarray:
    """`model_input(estimator, columns.frame())`, with less pandas.

    A model fitted on an array whose columns are all numbers (int64 or float64) gets the
    array without a frame, with the dtype and layout `frame.to_numpy()` gives (numpy's
    common type; pandas holds one row per column, and transposes); columns already in
    the fitted order are not compared by pandas.
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is None and all(values.dtype in _NUMBERS for values in columns.values):
        return np.array(columns.values).T
    frame = columns.frame()
    if names is not None and columns.names == list(names):
        return frame
    return model_input(estimator, frame)


_NUMBERS = (np.dtype(np.int64), np.dtype(np.float64))  # what typed_column gives for numbers


def model_input(estimator: Any, frame: pd.DataFrame) -> pd.DataFrame | np.ndarray:
    """The frame in the form the estimator was fitted on: named columns, or a plain array."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is None:
        return frame.to_numpy()
    if len(frame.columns) == len(names) and (frame.columns == names).all():
        return frame  # already in order: indexing would copy every column
    missing = [str(name) for name in names if name not in frame.columns]
    if missing:
        raise UnprocessableEntity(f"missing input columns: {', '.join(missing)}")
    return frame[list(names)]


def call(
    estimator: Any, method: str, data: Any, compiled: Callable[[Any], Any] | None = None
) -> Any:
    """Run the estimator (compiled where it can be); its complaints are the client's 422."""
    try:
        return (compiled or getattr(estimator, method))(data)
    except (ValueError, TypeError) as error:
        raise UnprocessableEntity(f"the model cannot use this input: {error}") from None


def output_frame(estimator: Any, method: str, result: Any) -> pd.DataFrame:
    """A named table from whatever the method returned."""
    named = outputs(estimator, method, result)
    return named if isinstance(named, pd.DataFrame) else named.frame()


def outputs(estimator: Any, method: str, result: Any) -> ArrayTable | pd.DataFrame:
    """What the method returned, named: an array with its column names, or a frame."""
    if isinstance(result, pd.DataFrame):
        return result.reset_index(drop=True)
    if hasattr(result, "toarray"):
        result = result.toarray()
    array = np.asarray(result)
    if array.ndim == 1:
        return ArrayTable(array, (_single_name(method),))
    names = _output_names(estimator, method, array.shape[1])
    if array.ndim != 2:
        return pd.DataFrame(array, columns=list(names))  # pandas' own error, as ever
    return ArrayTable(array, names)


def _single_name(method: str) -> str:
    return {"predict": "prediction", "score_samples": "score"}.get(method, method)


# Fitted estimators do not change names between calls; get_feature_names_out of a
# ColumnTransformer costs more than the compiled arithmetic of a row.
@functools.lru_cache(maxsize=64)
def _output_names(estimator: Any, method: str, width: int) -> tuple[str, ...]:
    names: Any = None
    if method == "transform" and hasattr(estimator, "get_feature_names_out"):
        try:
            names = estimator.get_feature_names_out()
        except (AttributeError, ValueError, TypeError):
            names = None
    elif method.startswith("predict_") and hasattr(estimator, "classes_"):
        names = estimator.classes_
    if names is None or len(names) != width:
        return tuple(str(index) for index in range(width))
    return tuple(str(name) for name in names)
