"""The abalone featurizer of SageMaker's scikit-learn pipeline example, fitted for tests."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[1] / "training" / "datasets" / "abalone" / "abalone.csv"
COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
    "rings",
]
FEATURES = COLUMNS[:8]
SAMPLE = "M, 0.44, 0.365, 0.125, 0.516, 0.2155, 0.114, 0.155"


def frame() -> pd.DataFrame:
    return pd.read_csv(DATA, header=None, names=COLUMNS)


def featurizer():  # type: ignore[no-untyped-def]
    """ColumnTransformer: median-impute + scale 7 numbers, impute + one-hot `sex` (10 outputs)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = make_pipeline(SimpleImputer(strategy="median"), StandardScaler())
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="missing"),
        OneHotEncoder(handle_unknown="ignore"),
    )
    transformer = ColumnTransformer([("num", numeric, FEATURES[1:]), ("cat", categorical, ["sex"])])
    return transformer.fit(frame()[FEATURES])
