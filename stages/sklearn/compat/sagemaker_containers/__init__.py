"""inferline's stand-in for ``sagemaker_containers`` 2.8 (see the compat package docstring).

Covers what inference and training scripts import from it: ``beta.framework``'s
content_types, encoders, errors, env, modules, transformer and worker, and
``training_env()``.
"""

from __future__ import annotations

import importlib
from typing import Any


def training_env(**kwargs: Any) -> Any:
    """The training job's environment (sagemaker-training's ``Environment``)."""
    environment: Any = importlib.import_module("sagemaker_training.environment")
    return environment.Environment(**kwargs)
