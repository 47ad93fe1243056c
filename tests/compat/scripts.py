"""Real-style inference scripts, one per handler default and return type AWS honours.

Each is written as a user writes one for AWS's scikit-learn container: it imports what
that image ships (sagemaker_containers, sagemaker_inference, flask), never inferline.
`model_dir` fixtures hold a small fitted LinearRegression as model.joblib.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import joblib
import numpy as np
from sklearn.linear_model import LinearRegression

MODEL_FN = """
import os
import joblib

def model_fn(model_dir):
    return joblib.load(os.path.join(model_dir, "model.joblib"))
"""

SCRIPTS = {
    # No handler but model_fn: every default, AWS's layouts.
    "defaults_only": MODEL_FN,
    "returns_str": MODEL_FN
    + """
def output_fn(prediction, accept):
    return ",".join(str(value) for value in prediction)
""",
    "returns_bytes": MODEL_FN
    + """
def output_fn(prediction, accept):
    return ("|".join(str(value) for value in prediction)).encode()
""",
    "returns_pair": MODEL_FN
    + """
import json

def output_fn(prediction, accept):
    return json.dumps({"scores": prediction.tolist()}), "application/json"
""",
    "returns_flask_response": MODEL_FN
    + """
import json
from flask import Response

def output_fn(prediction, accept):
    body = json.dumps([{"score": value} for value in prediction.tolist()])
    return Response(body, status=200, mimetype="application/json", headers={"X-Model": "lr"})
""",
    "returns_worker_response": MODEL_FN
    + """
from sagemaker_containers.beta.framework import content_types, encoders, worker

def output_fn(prediction, accept):
    return worker.Response(encoders.encode(prediction, accept), mimetype=accept)
""",
    "returns_dict": MODEL_FN
    + """
def output_fn(prediction, accept):
    return {"predictions": prediction.tolist(), "accept": accept, "count": len(prediction)}
""",
    "returns_list": MODEL_FN
    + """
def output_fn(prediction, accept):
    return [{"score": value, "rank": index} for index, value in enumerate(prediction.tolist())]
""",
    "transform_fn_only": MODEL_FN
    + """
import io
import numpy as np

def transform_fn(model, request_body, content_type, accept):
    rows = np.loadtxt(io.StringIO(request_body), delimiter=",", ndmin=2)
    return ",".join(f"{value:.3f}" for value in model.predict(rows)), accept
""",
    "inference_toolkit": MODEL_FN
    + """
from sagemaker_inference import content_types, decoder, default_inference_handler, encoder, errors

def input_fn(input_data, content_type):
    return decoder.decode(input_data, content_type).reshape(-1, 2)

def output_fn(prediction, accept):
    return encoder.encode(prediction, accept)
""",
    "containers_encoders": MODEL_FN
    + """
from sagemaker_containers.beta.framework import content_types, encoders

def input_fn(input_data, content_type):
    return encoders.decode(input_data, content_type).reshape(-1, 2)

def output_fn(prediction, accept):
    return encoders.encode(prediction, accept), accept
""",
}


def fitted_model() -> LinearRegression:
    features = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0], [2.0, 1.0]])
    return LinearRegression().fit(features, features @ np.array([0.5, -1.25]) + 3.0)


def write_model_dir(model_dir: Path, name: str, code_folder: str = "code") -> Path:
    """`model_dir` with model.joblib and `<code_folder>/<name>.py`; the script's path."""
    model_dir.mkdir(parents=True, exist_ok=True)
    joblib.dump(fitted_model(), model_dir / "model.joblib")
    folder = model_dir / code_folder
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / f"{name}.py"
    script.write_text(textwrap.dedent(SCRIPTS[name]))
    return script
