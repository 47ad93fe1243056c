"""ScriptStage: a SageMaker-style inference script, as the AWS scikit-learn container runs it.

The script defines ``model_fn(model_dir)`` and either ``transform_fn(model, body,
content_type, accept)`` or any of ``input_fn(body, content_type)``, ``predict_fn(data,
model)`` and ``output_fn(prediction, accept)`` (defining transform_fn with any of the
three is refused, as AWS refuses it). What it leaves out falls back to AWS's defaults
(`defaults.py`), or inferline's with INFERLINE_SKLEARN_SCRIPT_DEFAULTS=inferline.
``execution_parameters_fn()`` may answer /execution-parameters.

The model model_fn returns gets the compiled numpy forms of the methods `compiled.py`
recognises (`compile_in_place`: on that instance, so the script's calls are the same
calls, with the same answers and errors), unless INFERLINE_SKLEARN_COMPILE=false.

The handlers see what AWS's worker gives them: the body as str for application/json
and text/csv (bytes otherwise; str for any text type in inferline mode), the bare
Content-Type (application/json when none is sent), and one Accept: the client's
best, or SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT, else application/json, when it sends
none or ``*/*``. What output_fn returns becomes the answer as `replies.py` says.
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
    error_for_status,
)
from inferline.containers.core.invocation import Answer, ExecutionParameters, Invocation
from inferline.containers.core.media import is_unspecified
from inferline.stages.sklearn import defaults
from inferline.stages.sklearn.compat.sagemaker_containers.content_types import UTF8_TYPES
from inferline.stages.sklearn.kind import SklearnSettings
from inferline.stages.sklearn.replies import answer_for
from inferline.stages.sklearn.stage import call, default_method, model_input, output_frame

__all__ = ["HOOKS", "ScriptStage", "import_script"]

TEXT_TYPES = ("text/", "application/json", "application/jsonlines")
HOOKS = ("input_fn", "predict_fn", "output_fn")
TOOLKITS = ("sagemaker_inference", "sagemaker_training")


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
    except ModuleNotFoundError as error:
        hint = ""
        if (error.name or "").split(".")[0] in TOOLKITS:
            hint = "; AWS's toolkits come with inferline[toolkits] (not in the inferline images)"
        raise ModelLoadError(f"importing {path.name} failed: {error}{hint}") from error
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
    options: SklearnSettings = SklearnSettings()

    @classmethod
    def load(
        cls, model_dir: Path, script: Path, options: SklearnSettings | None = None
    ) -> ScriptStage:
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
        options = options or SklearnSettings()
        # A model that is a scikit-learn estimator has loaded scikit-learn; a script
        # without one (a postprocessor) does not pay for importing it.
        if options.compile_estimators and "sklearn" in sys.modules:
            from inferline.stages.sklearn.compiled import compile_in_place

            compile_in_place(model)
        return cls(module, model, options)

    @property
    def aws_defaults(self) -> bool:
        return self.options.script_defaults == defaults.AWS

    def invoke(self, invocation: Invocation) -> Answer:
        content_type = invocation.content_type.mimetype or JSON
        body = self._body(invocation.body, content_type)
        accept = _accept(invocation)
        transform_fn = getattr(self.module, "transform_fn", None)
        if transform_fn is not None:
            result = _run(
                "transform_fn", ServingError, transform_fn, self.model, body, content_type, accept
            )
            return answer_for(result, accept)
        data = self._input(body, content_type, invocation)
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

    def _body(self, body: bytes, content_type: str) -> str | bytes:
        """Text bodies reach the script as str, as in AWS's worker; others as bytes."""
        textual = (
            content_type in UTF8_TYPES if self.aws_defaults else content_type.startswith(TEXT_TYPES)
        )
        if not textual:
            return body
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            raise BadRequest(f"the {content_type} body is not UTF-8 text") from None

    def _input(self, body: str | bytes, content_type: str, invocation: Invocation) -> Any:
        hook = getattr(self.module, "input_fn", None)
        if hook is not None:
            return _run("input_fn", BadRequest, hook, body, content_type)
        if self.aws_defaults:
            return defaults.aws_input(body, content_type)
        return DEFAULT.decode(invocation, getattr(self.model, "feature_names_in_", None))

    def _predict(self, data: Any) -> Any:
        hook = getattr(self.module, "predict_fn", None)
        if hook is not None:
            return _run("predict_fn", ServingError, hook, data, self.model)
        if self.aws_defaults:
            return defaults.aws_predict(data, self.model)
        method = default_method(self.model)
        if isinstance(data, pd.DataFrame):
            data = model_input(self.model, data)
        return output_frame(self.model, method, call(self.model, method, data))

    def _output(self, prediction: Any, invocation: Invocation, accept: str) -> Answer:
        hook = getattr(self.module, "output_fn", None)
        if hook is not None:
            return answer_for(_run("output_fn", NotAcceptable, hook, prediction, accept), accept)
        if self.aws_defaults:
            return defaults.aws_output(prediction, accept)
        frame = (
            prediction
            if isinstance(prediction, pd.DataFrame)
            else output_frame(self.model, "predict", prediction)
        )
        return DEFAULT.encode(frame, invocation.accept, JSON)


def _accept(invocation: Invocation) -> str:
    """The one Accept a handler sees; the container has already put in
    SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT for a missing or */* one."""
    if is_unspecified(invocation.accept):
        return JSON
    return invocation.accept[0].mimetype


def _run(name: str, client_error: type[ServingError], hook: Any, *args: Any) -> Any:
    """Call a user hook. Its ValueError is the client's fault (as `client_error`); an
    error carrying a status (sagemaker_inference's BaseInferenceToolkitError) keeps it."""
    try:
        return hook(*args)
    except ServingError:
        raise
    except Exception as error:
        status = getattr(error, "status_code", None)
        if isinstance(status, int) and 400 <= status < 600:
            message = getattr(error, "message", None) or str(error)
            raise error_for_status(status)(f"{name}: {message}") from None
        if isinstance(error, ValueError) and client_error is not ServingError:
            raise client_error(f"{name}: {error}") from None
        raise
