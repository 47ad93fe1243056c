"""The abalone pipeline's third container: Linear Learner's JSON scores -> one CSV number a line.

A SageMaker inference script (model_fn/input_fn/predict_fn/output_fn) served by the
``inferline-sklearn`` image with SAGEMAKER_PROGRAM=abalone_postprocess.py, as a
postprocessor after the regressor. It has no model of its own; it imports only the
standard library and numpy, never inferline.
"""

from __future__ import annotations

import json

import numpy as np


def model_fn(model_dir: str) -> None:
    return None


def input_fn(input_data: str | bytes, content_type: str) -> np.ndarray:
    if content_type != "application/json":
        raise ValueError(f"{content_type} not supported; send application/json")
    predictions = json.loads(input_data)["predictions"]
    return np.array([float(prediction["score"]) for prediction in predictions])


def predict_fn(input_data: np.ndarray, model: None) -> np.ndarray:
    return input_data


def output_fn(prediction: np.ndarray, accept: str) -> str:
    if accept not in ("text/csv", "*/*"):
        raise ValueError(f"{accept} accept type is not supported; ask for text/csv")
    return "".join(f"{score!r}\n" for score in prediction.tolist())
