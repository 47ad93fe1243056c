"""The reference: how AWS's scikit-learn container answers a script, on real Flask.

sagemaker-containers 2.8.6, which that container serves through, does not import on
Python 3.11 (``collections.Mapping``), so its request flow is re-stated here as its
source has it (``_transformer.Transformer.transform``, ``_worker.Request``, and the
sklearn container's ``serving.default_*_fn``), on the real Flask it runs under, whose
``make_response`` turns whatever the handler returned into the answer. The default
(de)serialisation is the maintained sagemaker-inference toolkit's encoder and decoder,
which for numeric arrays write and read the same bytes as sagemaker-containers'
(tests/compat/test_encoders.py pins both to AWS's own test expectations).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import flask
import numpy as np
from sagemaker_inference import decoder, encoder

from inferline.stages.sklearn import compat

JSON = "application/json"
UTF8_TYPES = ("application/json", "text/csv")


@dataclass(frozen=True)
class Reply:
    status: int
    mimetype: str
    body: bytes


def import_copy(path: Path, name: str) -> ModuleType:
    """A second, independent import of the user's script, with sagemaker_containers
    importable as AWS's image has it."""
    compat.install()
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def default_input_fn(input_data: Any, content_type: str) -> Any:
    array = decoder.decode(input_data, content_type)
    return array.astype(np.float32) if content_type in UTF8_TYPES else array


def default_predict_fn(input_data: Any, model: Any) -> Any:
    return model.predict(input_data)


def default_output_fn(prediction: Any, accept: str) -> flask.Response:
    return flask.Response(encoder.encode(prediction, accept), mimetype=accept)


def app_for(module: ModuleType, model_dir: Path, default_accept: str = JSON) -> flask.Flask:
    """A Flask app answering /invocations as AWS's worker does for `module`."""
    model = module.model_fn(str(model_dir))
    transform_fn = getattr(module, "transform_fn", None)
    input_fn = getattr(module, "input_fn", default_input_fn)
    predict_fn = getattr(module, "predict_fn", default_predict_fn)
    output_fn = getattr(module, "output_fn", default_output_fn)
    app = flask.Flask("aws-reference")

    @app.post("/invocations")
    def invocations() -> Any:
        headers = flask.request.headers
        content_type = headers.get("ContentType") or headers.get("Content-Type") or JSON
        accept = headers.get("Accept")
        if not accept or accept == "*/*":
            accept = default_accept
        content = flask.request.get_data(as_text=content_type in UTF8_TYPES)
        if transform_fn is not None:
            result = transform_fn(model, content, content_type, accept)
        else:
            result = output_fn(predict_fn(input_fn(content, content_type), model), accept)
        if isinstance(result, tuple):
            return flask.Response(response=result[0], mimetype=result[1])
        return result

    return app


def invoke(app: flask.Flask, body: bytes, headers: dict[str, str]) -> Reply:
    response = app.test_client().post("/invocations", data=body, headers=headers)
    return Reply(response.status_code, response.mimetype or "", response.get_data())
