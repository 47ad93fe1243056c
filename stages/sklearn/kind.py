"""The sklearn kind's declaration: an estimator file, a code/ folder, or a script named
by SAGEMAKER_PROGRAM / SAGEMAKER_SUBMIT_DIRECTORY.

Cheap to import (no scikit-learn, no numpy): the registry reads it to detect a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.core.errors import ConfigurationError
from inferline.containers.core.settings import Settings, text, variable
from inferline.stages.kind import Kind
from inferline.stages.sklearn.artifact import SUFFIXES

__all__ = ["KIND", "SklearnSettings"]

CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines", "application/x-npy")
SCRIPT_DEFAULTS = ("aws", "inferline")


def _script_defaults(name: str, raw: str) -> str:
    value = raw.strip().lower()
    if value not in SCRIPT_DEFAULTS:
        raise ConfigurationError(f"{name} must be aws or inferline, got {raw!r}")
    return value


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no", ""):
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


@dataclass(frozen=True)
class SklearnSettings:
    """The variables only the sklearn stage reads."""

    method: str | None = field(default=None, metadata=variable("INFERLINE_SKLEARN_METHOD", text))
    """Estimator method to call (transform, predict, predict_proba, ...); else its default."""
    script_defaults: str = field(
        default="aws", metadata=variable("INFERLINE_SKLEARN_SCRIPT_DEFAULTS", _script_defaults)
    )
    """What a script's missing input_fn/predict_fn/output_fn do: aws (AWS's container)
    or inferline (the table codecs' named columns and {"predictions": ...} JSON)."""
    install_requirements: bool = field(
        default=False, metadata=variable("INFERLINE_SKLEARN_INSTALL_REQUIREMENTS", _flag)
    )
    """pip-install the script's requirements.txt at start; when false, unmet ones stop it."""
    compile_estimators: bool = field(
        default=True, metadata=variable("INFERLINE_SKLEARN_COMPILE", _flag)
    )
    """Run the fitted estimators `compiled.py` recognises as numpy (the same bits as
    scikit-learn), an estimator file's and a script's model alike; false: scikit-learn."""


def recognises(model_dir: Path) -> bool:
    """An estimator file (*.joblib, *.pkl, *.skops) or an inference script folder (code/)."""
    if not model_dir.is_dir():
        return False
    return (model_dir / "code").is_dir() or any(
        path.name.endswith(SUFFIXES) for path in model_dir.iterdir() if path.is_file()
    )


def claims(settings: Settings) -> bool:
    """SAGEMAKER_PROGRAM or SAGEMAKER_SUBMIT_DIRECTORY name a script: AWS's container
    tests deliver one that way, with no code/ in the model directory."""
    return bool(settings.program or settings.submit_directory)


KIND = Kind(
    name="sklearn",
    image="sklearn",
    extra="sklearn",
    requires=("sklearn", "joblib"),
    loader="inferline.stages.sklearn:load",
    recognises=recognises,
    claims=claims,
    looks_for=" / ".join(f"*{suffix}" for suffix in SUFFIXES) + " / code/ / SAGEMAKER_PROGRAM",
    # After the kinds with one fixed file name: a stray model.pkl beside a bundle.json
    # or an xgboost-model does not make the directory a scikit-learn model.
    priority=90,
    content_types=CONTENT_TYPES,
    settings=SklearnSettings,
)
