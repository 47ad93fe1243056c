"""Stage kinds, found by name without importing the ones a server does not use.

``load(kind, model_dir, settings)`` imports only the chosen stage's package, so the
sklearn image never imports the Spark ML runtime and vice versa. ``detect`` reads the
kind from what a model directory holds.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from inferline.containers.core.errors import ConfigurationError, ModelLoadError
from inferline.containers.core.settings import Settings
from inferline.stages.base import ExecutionParameters, FrameStage, Stage, StageLoader

__all__ = ["KINDS", "ExecutionParameters", "FrameStage", "Stage", "detect", "load"]

# kind -> "module:loader"; each loader is `load(model_dir, settings) -> Stage`.
KINDS: dict[str, str] = {
    "sklearn": "inferline.stages.sklearn:load",
    "sparkml": "inferline.stages.sparkml:load",
    "xgboost": "inferline.stages.xgboost:load",
    "linear-learner": "inferline.stages.linear_learner:load",
    "blazingtext": "inferline.stages.blazingtext:load",
}

SKLEARN_SUFFIXES = (".joblib", ".pkl", ".skops")


def detect(model_dir: Path) -> str:
    """The stage kind a model directory holds.

    Raises:
        ModelLoadError: nothing recognisable; the message lists what was looked for.
    """
    names = {path.name for path in model_dir.iterdir()} if model_dir.is_dir() else set()
    if "bundle.json" in names:
        return "sparkml"
    if "xgboost-model" in names:
        return "xgboost"
    if "code" in names or any(name.endswith(SKLEARN_SUFFIXES) for name in names):
        return "sklearn"
    raise ModelLoadError(
        f"cannot tell which stage serves {model_dir}: expected bundle.json (sparkml), "
        "xgboost-model (xgboost), or *.joblib / *.pkl / *.skops / code/ (sklearn); "
        "or name the stage with --stage or INFERLINE_STAGE"
    )


def loader(kind: str) -> StageLoader:
    if kind not in KINDS:
        raise ConfigurationError(f"unknown stage {kind!r}; choose one of {', '.join(KINDS)}")
    module_name, _, attribute = KINDS[kind].partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as error:
        raise ConfigurationError(
            f"stage {kind!r} is not installed here ({error.name} is missing); "
            f"install inferline with the matching extra"
        ) from None
    stage_loader: StageLoader = getattr(module, attribute)
    return stage_loader


def load(kind: str | None, model_dir: Path, settings: Settings) -> Stage:
    """Load the stage `kind` (detected when None) from `model_dir`."""
    return loader(kind or detect(model_dir))(model_dir, settings)
