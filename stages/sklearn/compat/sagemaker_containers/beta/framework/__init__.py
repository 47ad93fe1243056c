"""``sagemaker_containers.beta.framework``: the modules scripts import by these names."""

from __future__ import annotations

from inferline.stages.sklearn.compat.sagemaker_containers import (
    content_types,
    encoders,
    env,
    errors,
    modules,
    training_env,
    transformer,
    worker,
)

__all__ = [
    "content_types",
    "encoders",
    "env",
    "errors",
    "modules",
    "training_env",
    "transformer",
    "worker",
]
