"""``sagemaker_containers.beta.framework.transformer``: the default handler functions.

inferline's script stage runs a script's handlers itself (stages/sklearn/script.py);
these are here for scripts that call the defaults from their own handlers.
"""

from __future__ import annotations

from typing import Any

from inferline.stages.sklearn.compat.sagemaker_containers import encoders, worker

__all__ = ["default_input_fn", "default_model_fn", "default_output_fn", "default_predict_fn"]


def default_model_fn(model_dir: str) -> Any:
    raise NotImplementedError("Please provide a model_fn implementation.")


def default_input_fn(input_data: Any, content_type: str) -> Any:
    return encoders.decode(input_data, content_type)


def default_predict_fn(data: Any, model: Any) -> Any:
    raise NotImplementedError("Please provide a predict_fn implementation.")


def default_output_fn(prediction: Any, accept: str) -> worker.Response:
    return worker.Response(response=encoders.encode(prediction, accept), mimetype=accept)
