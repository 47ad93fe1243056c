"""Compiled methods installed on a model: what scikit-learn decides before its arithmetic
(names, rows, configuration, arguments) stays scikit-learn's, and the model stays itself."""

from __future__ import annotations

import copy
import pickle
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from inferline.stages.sklearn.compiled import CompiledMethod, Unsupported, compile_in_place
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script

Fitted = tuple[ColumnTransformer, Any, pd.DataFrame]


@pytest.fixture()
def fitted() -> Fitted:
    """A fresh featurizer with its methods compiled, a plain twin, and held-out rows."""
    train_rows, held_out = data.split(data.abalone())
    features = train_rows[list(data.ABALONE_FEATURES)]
    model, plain = script.featurizer().fit(features), script.featurizer().fit(features)
    assert compile_in_place(model) == ("transform",)
    return model, plain, held_out[list(data.ABALONE_FEATURES)].reset_index(drop=True)


def outcome(call: Callable[[], Any]) -> tuple[object, ...]:
    """The result (type, dtype, shape, bytes), or the error; and the warnings either gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = call()
            if isinstance(result, pd.DataFrame):
                shown: tuple[object, ...] = ("frame", result.to_csv())
            else:
                array = np.asarray(result)
                shown = (type(result).__name__, array.dtype, array.shape, array.tobytes())
        except Exception as error:  # noqa: BLE001 - the error is what is compared
            shown = (type(error).__name__, str(error))
    return (*shown, [f"{type(w.message).__name__}: {w.message}" for w in caught])


def same(model: Any, plain: Any, *args: Any, **kwargs: Any) -> None:
    compiled = outcome(lambda: model.transform(*args, **kwargs))
    assert compiled == outcome(lambda: plain.transform(*args, **kwargs))


def test_the_model_keeps_its_class_and_scikit_learn_sees_no_difference(fitted: Fitted) -> None:
    model, plain, rows = fitted
    assert type(model) is ColumnTransformer and isinstance(model.transform, CompiledMethod)
    assert model.get_params(deep=False).keys() == plain.get_params(deep=False).keys()
    assert repr(model) == repr(plain)
    same(model, plain, rows.iloc[[0]])
    assert isinstance(model.transform.arithmetic(rows.iloc[[0]]), np.ndarray)


def test_columns_renamed_reordered_or_added_are_scikit_learns_to_select(fitted: Fitted) -> None:
    model, plain, rows = fitted
    row = rows.iloc[[3]].reset_index(drop=True)
    reordered = row[list(reversed(row.columns))]
    same(model, plain, reordered)  # selected by name: the same features
    same(model, plain, row.assign(rings=9))  # an extra column is ignored
    same(model, plain, row.rename(columns={"length": "size"}))  # refused
    same(model, plain, row.set_axis(range(8), axis=1))  # no names at all
    same(model, plain, row.to_numpy())  # an array: scikit-learn's own rules
    same(model, plain, row.iloc[:0])  # no rows: refused


def test_infinities_and_odd_types_are_refused_or_converted_as_scikit_learn_does(
    fitted: Fitted,
) -> None:
    model, plain, rows = fitted
    row = rows.iloc[[5]].reset_index(drop=True)
    for column, value in [("length", np.inf), ("height", -np.inf), ("sex", None), ("sex", 3)]:
        odd = row.copy()
        odd.loc[0, column] = value
        same(model, plain, odd)
    same(model, plain, row.astype({"length": np.float32}))
    same(model, plain, row.astype({"sex": "category"}))
    same(model, plain, row.astype({"sex": "string", "diameter": "Float64"}))
    sparse = row.astype({"length": pd.SparseDtype(float)})  # scikit-learn: a sparse matrix
    same(model, plain, sparse)
    with pytest.raises(Unsupported):  # extension arrays are scikit-learn's to convert
        model.transform.arithmetic(sparse)
    integers = row.assign(length=1, diameter=np.int32(2))
    same(model, plain, integers)
    assert isinstance(model.transform.arithmetic(integers), np.ndarray)  # still numpy


def test_set_output_and_set_config_after_compiling_are_honoured(fitted: Fitted) -> None:
    model, plain, rows = fitted
    row = rows.iloc[[1]].reset_index(drop=True)
    with sklearn.config_context(transform_output="pandas"):
        same(model, plain, row)  # scikit-learn's refusal: its one-hot output is sparse
        with pytest.raises(Unsupported):
            model.transform.arithmetic(row)
    with sklearn.config_context(assume_finite=True):
        same(model, plain, row.assign(length=np.inf))
    model.set_output(transform="pandas")
    plain.set_output(transform="pandas")
    same(model, plain, row)
    with pytest.raises(Unsupported):
        model.transform.arithmetic(row)


def test_extra_arguments_go_to_scikit_learn(fitted: Fitted) -> None:
    model, plain, rows = fitted
    row = rows.iloc[[2]].reset_index(drop=True)
    same(model, plain, X=row)
    same(model, plain, row, unknown=1)  # refused: metadata routing is off


def test_a_copied_or_pickled_model_answers_the_same(fitted: Fitted) -> None:
    model, plain, rows = fitted
    some = rows.iloc[:20]
    pickled = pickle.loads(pickle.dumps(model))  # noqa: S301 - bytes made here
    for twin in (copy.deepcopy(model), pickled):
        assert twin.transform is not model.transform
        assert isinstance(twin.transform, CompiledMethod)
        assert outcome(lambda twin=twin: twin.transform(some)) == outcome(
            lambda: plain.transform(some)
        )
        assert isinstance(twin.transform.arithmetic(some), np.ndarray)  # compiled again


def test_a_regressor_is_compiled_and_a_frame_for_it_is_scikit_learns(fitted: Fitted) -> None:
    model, plain, rows = fitted
    features = plain.transform(rows)
    labels = data.split(data.abalone())[1][data.ABALONE_LABEL]
    regressor = RidgeCV().fit(features, labels)
    twin = copy.deepcopy(regressor)
    assert compile_in_place(regressor) == ("predict",)
    for given in (features[:1], pd.DataFrame(features[:1]), features[:1].astype(np.float32)):
        assert outcome(lambda given=given: regressor.predict(given)) == outcome(
            lambda given=given: twin.predict(given)
        )


def test_the_callers_array_is_never_changed_in_place() -> None:
    rng = np.random.default_rng(3)
    features = rng.normal(size=(40, 3))
    features[rng.random(features.shape) < 0.2] = np.nan
    inner = make_pipeline("passthrough")  # answers the very array it is given
    for pipeline in (
        make_pipeline(SimpleImputer(), StandardScaler()),
        make_pipeline(inner, StandardScaler()),
        make_pipeline(make_pipeline(inner, SimpleImputer()), StandardScaler()),
    ):
        pipeline.fit(features)
        plain = copy.deepcopy(pipeline)
        assert compile_in_place(pipeline) == ("transform",)
        given = features[:5].copy()
        result = pipeline.transform.arithmetic(given)
        assert given.tobytes() == features[:5].tobytes()  # untouched, NaN included
        assert result.tobytes() == plain.transform(features[:5]).tobytes()
        whole = np.array([[1, 2, 3], [4, 5, 6]])  # integers: converted, as scikit-learn does
        assert outcome(lambda p=pipeline, x=whole: p.transform(x)) == outcome(
            lambda p=plain, x=whole: p.transform(x)
        )
