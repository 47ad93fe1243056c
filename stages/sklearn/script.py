"""ScriptStage: a SageMaker-style inference script, as the AWS scikit-learn container runs it.

The script (SAGEMAKER_PROGRAM, found in <model_dir>/code or SAGEMAKER_SUBMIT_DIRECTORY)
defines ``model_fn(model_dir)`` and either ``transform_fn(model, body, content_type, accept)``
or any of ``input_fn(body, content_type)``, ``predict_fn(data, model)`` and
``output_fn(prediction, accept)``; what it leaves out falls back to inferline's codecs
and SklearnStage. ``execution_parameters_fn()`` may answer /execution-parameters.
"""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from inferline.containers.core.codecs import DEFAULT, JSON
from inferline.containers.core.errors import (
    BadRequest,
    ModelLoadError,
    NotAcceptable,
    ServingError,
)
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation
from inferline.containers.core.media import MediaType
from inferline.stages.sklearn.stage import call, default_method, model_input, output_frame

DEFAULT_PROGRAM = "inference.py"
TEXT_TYPES = ("text/", "application/json", "application/jsonlines")
HOOKS = ("input_fn", "predict_fn", "output_fn")


def find_script(model_dir: Path, program: str | None, submit_directory: Path | None) -> Path:
    name = program or DEFAULT_PROGRAM
    folders = [model_dir / "code", *([submit_directory] if submit_directory else [])]
    for folder in folders:
        if (folder / name).is_file():
            return folder / name
    where = " or ".join(str(folder) for folder in folders)
    raise ModelLoadError(f"inference script {name!r} not found in {where} (set SAGEMAKER_PROGRAM)")


def import_script(path: Path) -> ModuleType:
    """Import the user's script as a module; its folder goes on sys.path for its imports."""
    module_name = path.stem
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ModelLoadError(f"cannot import {path}")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent))
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - any failure of user code at import
        raise ModelLoadError(
            f"importing {path.name} failed: {type(error).__name__}: {error}"
        ) from error
    return module


@dataclass(frozen=True)
class ScriptStage:
    """Serve a user script's hooks around the model its `model_fn` returns."""

    module: ModuleType
    model: Any

    @classmethod
    def load(cls, model_dir: Path, script: Path) -> ScriptStage:
        module = import_script(script)
        if not callable(getattr(module, "model_fn", None)):
            raise ModelLoadError(f"{script.name} must define model_fn(model_dir)")
        defined = [hook for hook in HOOKS if hasattr(module, hook)]
        if hasattr(module, "transform_fn") and defined:
            raise ModelLoadError(
                f"{script.name} defines transform_fn together with {', '.join(defined)}; "
                "use transform_fn alone, or input_fn/predict_fn/output_fn"
            )
        try:
            model = module.model_fn(str(model_dir))
        except Exception as error:  # noqa: BLE001 - user code
            raise ModelLoadError(f"model_fn failed: {type(error).__name__}: {error}") from error
        return cls(module, model)

    def invoke(self, invocation: Invocation) -> Answer:
        body = _body(invocation)
        content_type = invocation.content_type.mimetype
        accept = str(invocation.accept[0]) if invocation.accept else JSON
        transform_fn = getattr(self.module, "transform_fn", None)
        if transform_fn is not None:
            result = _run(
                "transform_fn", ServingError, transform_fn, self.model, body, content_type, accept
            )
            return _answer(result, accept)
        data = self._input(body, invocation)
        prediction = self._predict(data)
        return self._output(prediction, invocation, accept)

    def execution_parameters(self, defaults: ExecutionParameters) -> ExecutionParameters:
        hook = getattr(self.module, "execution_parameters_fn", None)
        if hook is None:
            return defaults
        result = hook()
        if hasattr(result, "get_json"):
            result = result.get_json()
        return {**defaults, **result}

    def _input(self, body: str | bytes, invocation: Invocation) -> Any:
        hook = getattr(self.module, "input_fn", None)
        if hook is None:
            return DEFAULT.decode(invocation, getattr(self.model, "feature_names_in_", None))
        return _run("input_fn", BadRequest, hook, body, invocation.content_type.mimetype)

    def _predict(self, data: Any) -> Any:
        hook = getattr(self.module, "predict_fn", None)
        if hook is not None:
            return _run("predict_fn", ServingError, hook, data, self.model)
        method = default_method(self.model)
        if isinstance(data, pd.DataFrame):
            data = model_input(self.model, data)
        return output_frame(self.model, method, call(self.model, method, data))

    def _output(self, prediction: Any, invocation: Invocation, accept: str) -> Answer:
        hook = getattr(self.module, "output_fn", None)
        if hook is None:
            frame = (
                prediction
                if isinstance(prediction, pd.DataFrame)
                else output_frame(self.model, "predict", prediction)
            )
            return DEFAULT.encode(frame, invocation.accept, JSON)
        return _answer(_run("output_fn", NotAcceptable, hook, prediction, accept), accept)


def _body(invocation: Invocation) -> str | bytes:
    """Text bodies reach the script as str, as in the AWS containers; others as bytes."""
    if invocation.content_type.mimetype.startswith(TEXT_TYPES):
        try:
            return invocation.body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest("body is not UTF-8 text") from None
    return invocation.body


def _run(name: str, client_error: type[ServingError], hook: Any, *args: Any) -> Any:
    """Call a user hook; its ValueError is the client's fault (as `client_error`)."""
    try:
        return hook(*args)
    except ServingError:
        raise
    except ValueError as error:
        if client_error is ServingError:
            raise
        raise client_error(f"{name}: {error}") from None


def _answer(result: Any, accept: str) -> Answer:
    """An Answer from what output_fn/transform_fn returned: bytes, str, a pair or a Response."""
    if hasattr(result, "get_data") and hasattr(result, "mimetype"):
        # Its own headers go out too (custom attributes, as the AWS containers pass them).
        headers = {
            key: value
            for key, value in result.headers.items()
            if key.lower() not in ("content-type", "content-length")
        }
        return Answer(
            result.get_data(),
            result.mimetype or MediaType.parse(accept).mimetype,
            status=result.status_code,
            headers=headers,
        )
    content_type = MediaType.parse(accept).mimetype
    if isinstance(result, tuple) and len(result) == 2:
        result, content_type = result[0], MediaType.parse(result[1]).mimetype
    if isinstance(result, str):
        result = result.encode()
    if not isinstance(result, (bytes, bytearray)):
        raise ServingError(
            f"the script returned {type(result).__name__}; return bytes, str, "
            "a (body, content_type) pair or a Response"
        )
    return Answer(bytes(result), content_type)
