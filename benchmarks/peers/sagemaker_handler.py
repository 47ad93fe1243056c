"""The SageMaker inference toolkit's peer: a handler service for multi-model-server (MMS).

AWS's framework containers are built this way: MMS (Java front end, Python workers)
calls `HandlerService.handle`, and the toolkit's `Transformer` runs the model_fn /
input_fn / predict_fn / output_fn hooks given here. MMS finds the entry point as the
one class defined in this module, so the hooks live inside it.
"""

from __future__ import annotations

import io
import os
from typing import Any

import joblib
import pandas as pd
from sagemaker_inference import content_types, decoder, default_inference_handler, encoder
from sagemaker_inference.default_handler_service import DefaultHandlerService
from sagemaker_inference.transformer import Transformer

COLUMNS = [
    "sex",
    "length",
    "diameter",
    "height",
    "whole_weight",
    "shucked_weight",
    "viscera_weight",
    "shell_weight",
]


class HandlerService(DefaultHandlerService):
    class Hooks(default_inference_handler.DefaultInferenceHandler):
        def default_model_fn(self, model_dir: str, context: Any = None) -> Any:
            return joblib.load(
                os.environ.get("BENCH_MODEL", os.path.join(model_dir, "model.joblib"))
            )

        def default_input_fn(self, input_data: Any, content_type: str, context: Any = None) -> Any:
            if content_type != content_types.CSV:
                return decoder.decode(input_data, content_type)
            raw = input_data if isinstance(input_data, bytes) else str(input_data).encode()
            return pd.read_csv(io.BytesIO(raw), header=None, names=COLUMNS, skipinitialspace=True)

        def default_predict_fn(self, data: Any, model: Any, context: Any = None) -> Any:
            return model.predict(data)

        def default_output_fn(self, prediction: Any, accept: str, context: Any = None) -> Any:
            if accept in (content_types.CSV, content_types.ANY):
                return "".join(f"{score!r}\n" for score in prediction.tolist())
            return encoder.encode(prediction, accept)

    def __init__(self) -> None:
        super().__init__(transformer=Transformer(default_inference_handler=self.Hooks()))
