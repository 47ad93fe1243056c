"""The compiled numpy path answers bit-for-bit what scikit-learn answers, or falls back."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from inferline.containers.core.errors import UnprocessableEntity
from inferline.containers.core.invocation import Invocation
from inferline.containers.core.media import MediaType
from inferline.stages.sklearn import SklearnStage
from inferline.stages.sklearn.compiled import compile_method
from inferline.training import data
from inferline.training import sklearn_abalone_featurizer as script

RNG_SEED = 7


def same(expected: Any, actual: Any) -> None:
    expected, actual = np.asarray(expected), np.asarray(actual)
    assert (expected.dtype, expected.shape) == (actual.dtype, actual.shape)
    if expected.dtype == object:
        assert expected.tolist() == actual.tolist()
    else:
        assert expected.tobytes() == actual.tobytes()  # the last bit, NaN included


@pytest.fixture(scope="module")
def abalone() -> tuple[pd.DataFrame, Any, Any]:
    """The abalone-sklearn example's featurizer and RidgeCV, fitted as training fits them."""
    train_rows, held_out = data.split(data.abalone())
    features = train_rows[list(data.ABALONE_FEATURES)]
    featurizer = script.featurizer().fit(features)
    regressor = RidgeCV(alphas=np.logspace(-3, 2, 12)).fit(
        featurizer.transform(features), train_rows[data.ABALONE_LABEL]
    )
    return held_out[list(data.ABALONE_FEATURES)].reset_index(drop=True), featurizer, regressor


def odd_rows(frame: pd.DataFrame, count: int) -> pd.DataFrame:
    """Random rows with unknown categories and missing numbers mixed in."""
    rng = np.random.default_rng(RNG_SEED)
    rows = frame.sample(count, random_state=RNG_SEED, replace=True).reset_index(drop=True)
    rows["sex"] = rng.choice(["M", "F", "I", "X", "unknown"], count).astype(object)
    for column in script.NUMERIC_COLUMNS:
        rows.loc[rng.random(count) < 0.2, column] = np.nan
    return rows


def test_the_abalone_featurizer_and_ridge_compile_to_the_same_bits(
    abalone: tuple[pd.DataFrame, Any, Any],
) -> None:
    held_out, featurizer, regressor = abalone
    transform = compile_method(featurizer, "transform")
    predict = compile_method(regressor, "predict")
    assert transform is not None and predict is not None
    rows = pd.concat([held_out, odd_rows(held_out, 200)], ignore_index=True)
    for index in range(len(rows)):
        row = rows.iloc[[index]].reset_index(drop=True)
        features = featurizer.transform(row)
        same(features, transform(row))
        if np.isfinite(features).all():
            same(regressor.predict(features), predict(features))
    same(featurizer.transform(rows), transform(rows))  # many rows at once too


def test_a_pipeline_of_featurizer_and_ridge_compiles(
    abalone: tuple[pd.DataFrame, Any, Any],
) -> None:
    held_out, _, _ = abalone
    train_rows, _ = data.split(data.abalone())
    pipeline = make_pipeline(script.featurizer(), Ridge(alpha=0.5)).fit(
        train_rows[list(data.ABALONE_FEATURES)], train_rows[data.ABALONE_LABEL]
    )
    predict = compile_method(pipeline, "predict")
    assert predict is not None
    rows = pd.concat([held_out.iloc[:100], odd_rows(held_out, 100)], ignore_index=True)
    for index in range(len(rows)):
        row = rows.iloc[[index]].reset_index(drop=True)
        same(pipeline.predict(row), predict(row))


def harness_featurizer() -> tuple[ColumnTransformer, pd.DataFrame]:
    """tests/harness/conftest.py's featurizer: one-hot, scaler and passthrough."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "sex": rng.choice(["M", "F", "I"], 60),
            "length": rng.uniform(0.1, 0.8, 60),
            "diameter": rng.uniform(0.1, 0.6, 60),
        }
    )
    featurizer = ColumnTransformer(
        [
            ("sex", OneHotEncoder(sparse_output=False, handle_unknown="ignore"), ["sex"]),
            ("length", StandardScaler(), ["length"]),
            ("diameter", "passthrough", ["diameter"]),
        ]
    ).fit(frame)
    return featurizer, frame


def invoke_csv(stage: SklearnStage, body: str) -> bytes:
    invocation = Invocation(body.encode(), MediaType("text/csv"), (MediaType.parse("text/csv"),))
    return stage.invoke(invocation).body


def outcome(stage: SklearnStage, body: str) -> bytes | str:
    """The answer's bytes, or the error's message."""
    try:
        return invoke_csv(stage, body)
    except UnprocessableEntity as error:
        return str(error)


def test_the_stage_answers_the_same_bytes_compiled_or_not() -> None:
    featurizer, frame = harness_featurizer()
    regressor = LinearRegression().fit(featurizer.transform(frame), frame["length"] * 3 + 1)
    bodies = ["M,0.5,0.3", "X,0.5,0.3", "F,,0.2", "I,0.25,", "M,0.1,0.2\nF,0.7,0.5\nQ,0.3,0.3"]
    for estimator in (featurizer, regressor):
        compiled = SklearnStage.for_estimator(estimator)
        assert compiled.compiled is not None
        plain = SklearnStage(estimator, compiled.method)
        for body in bodies:
            if estimator is regressor:  # the featurizer's answer, missing values included
                body = invoke_csv(SklearnStage.for_estimator(featurizer), body).decode()
            assert outcome(compiled, body) == outcome(plain, body), body


def test_logistic_regression_predicts_and_scores_the_same() -> None:
    rng = np.random.default_rng(RNG_SEED)
    features = rng.normal(size=(120, 4))
    for classes in (["no", "yes"], ["a", "b", "c"]):
        labels = np.array(classes)[rng.integers(0, len(classes), 120)]
        model = LogisticRegression().fit(features, labels)
        rows = rng.normal(size=(50, 4))
        for method in ("predict", "decision_function"):
            compiled = compile_method(model, method)
            assert compiled is not None
            for row in rows:
                same(getattr(model, method)(row[None, :]), compiled(row[None, :]))


def test_what_is_not_recognised_is_not_compiled_and_errors_stay_scikit_learns() -> None:
    features = np.random.default_rng(0).normal(size=(30, 2))
    forest = RandomForestRegressor(n_estimators=2).fit(features, features[:, 0])
    assert compile_method(forest, "predict") is None
    strict = OneHotEncoder(handle_unknown="error", sparse_output=False).fit([["a"], ["b"]])
    stage = SklearnStage.for_estimator(strict)
    assert stage.compiled is not None
    with pytest.raises(UnprocessableEntity, match="unknown categor"):
        invoke_csv(stage, "z")
    imputer = SimpleImputer(strategy="most_frequent").fit([[1.0], [1.0], [2.0]])
    assert compile_method(imputer, "transform") is None  # integers would stay integers


def test_missing_categories_fall_back_to_scikit_learn(
    abalone: tuple[pd.DataFrame, Any, Any],
) -> None:
    held_out, featurizer, _ = abalone
    stage = SklearnStage.for_estimator(featurizer)
    plain = SklearnStage(featurizer, "transform")
    body = ",0.5,0.4,0.1,0.5,0.2,0.1,0.15"  # no sex: the codec makes it missing
    assert invoke_csv(stage, body) == invoke_csv(plain, body)
