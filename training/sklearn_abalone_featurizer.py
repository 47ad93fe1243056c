"""The abalone featurizer as a SageMaker inference script (model_fn/input_fn/predict_fn/output_fn).

This file ships, as it is, in the featurizer's model.tar.gz under ``code/`` and runs in
the ``inferline-sklearn`` image (SAGEMAKER_PROGRAM=sklearn_abalone_featurizer.py), as
the seed example's script runs in AWS's scikit-learn container. It imports only
scikit-learn, pandas, joblib and flask, never inferline. Training builds the
transformer with `featurizer()`, fits it and saves it as ``model.joblib``.

Between the pipeline's stages it speaks Linear Learner's JSON,
``{"instances": [{"features": [...]}, ...]}``, or CSV with Accept text/csv.
"""

from __future__ import annotations

import io
import json
import os

import joblib
import numpy as np
import pandas as pd
from flask import Response
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

FEATURE_COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]
LABEL_COLUMN = "rings"
NUMERIC_COLUMNS = FEATURE_COLUMNS[1:]
MODEL_FILE = "model.joblib"


def featurizer() -> ColumnTransformer:
    """The unfitted transformer: scaled measurements, then sex one-hot encoded (10 features)."""
    return ColumnTransformer(
        [
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                NUMERIC_COLUMNS,
            ),
            (
                "sex",
                make_pipeline(
                    SimpleImputer(strategy="constant", fill_value="missing"),
                    OneHotEncoder(handle_unknown="ignore"),
                ),
                ["sex"],
            ),
        ]
    )


def model_fn(model_dir: str) -> ColumnTransformer:
    return joblib.load(os.path.join(model_dir, MODEL_FILE))


def input_fn(input_data: str, content_type: str) -> pd.DataFrame:
    """Headerless CSV rows of 8 features, or 9 with the ring count last (labelled)."""
    if content_type != "text/csv":
        raise ValueError(f"{content_type} not supported by script; send text/csv")
    frame = pd.read_csv(io.StringIO(input_data), header=None, skipinitialspace=True)
    if len(frame.columns) == len(FEATURE_COLUMNS) + 1:
        frame.columns = [*FEATURE_COLUMNS, LABEL_COLUMN]
    elif len(frame.columns) == len(FEATURE_COLUMNS):
        frame.columns = FEATURE_COLUMNS
    else:
        raise ValueError(
            f"expected {len(FEATURE_COLUMNS)} columns ({', '.join(FEATURE_COLUMNS)}) "
            f"or {len(FEATURE_COLUMNS) + 1} with {LABEL_COLUMN}, got {len(frame.columns)}"
        )
    return frame


def predict_fn(input_data: pd.DataFrame, model: ColumnTransformer) -> np.ndarray:
    """The features; a labelled row keeps its label first, as Linear Learner trains on it."""
    features: np.ndarray = model.transform(input_data)
    if LABEL_COLUMN in input_data:
        return np.insert(features, 0, input_data[LABEL_COLUMN], axis=1)
    return features


def output_fn(prediction: np.ndarray, accept: str) -> Response:
    if accept == "application/json":
        instances = [{"features": row.tolist()} for row in prediction]
        return Response(json.dumps({"instances": instances}), mimetype=accept)
    if accept == "text/csv":
        buffer = io.StringIO()
        np.savetxt(buffer, prediction, delimiter=",", fmt="%.17g")
        return Response(buffer.getvalue(), mimetype=accept)
    raise ValueError(f"{accept} accept type is not supported by this script")
