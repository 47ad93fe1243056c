"""``sagemaker_containers.beta.framework.env``: the serving and training environments.

`ServingEnv` reads the serving variables as sagemaker-containers did. Training is
the maintained ``sagemaker-training`` package's business: ``TrainingEnv`` and the
``read_*`` functions are its ``environment.Environment`` and readers (imported on
first use, since that module sets up /opt/ml paths when it is imported).

This module reads os.environ itself, unlike the rest of inferline (which reads it only
through containers.core.settings): it is a stand-in for a third-party module that
user scripts call, and must see what they see.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

from inferline.stages.sklearn.compat.sagemaker_containers import content_types

__all__ = ["ServingEnv", "base_dir", "code_dir", "model_dir"]  # and, lazily, TrainingEnv

base_dir = os.environ.get("SAGEMAKER_BASE_DIR", "/opt/ml")
code_dir = os.path.join(base_dir, "code")
model_dir = os.path.join(base_dir, "model")

_TRAINING = (
    "TrainingEnv",
    "read_hyperparameters",
    "read_input_data_config",
    "read_resource_config",
    "channel_path",
    "input_dir",
    "input_config_dir",
    "output_dir",
    "output_data_dir",
)


class ServingEnv:
    """The serving container's settings, as the model server reads them."""

    def __init__(self) -> None:
        environ = os.environ
        program = environ.get("SAGEMAKER_PROGRAM", "")
        self.user_entry_point = program
        self.module_name = program[:-3] if program.endswith(".py") else program
        self.module_dir = environ.get("SAGEMAKER_SUBMIT_DIRECTORY", code_dir)
        self.log_level = int(environ.get("SAGEMAKER_CONTAINER_LOG_LEVEL", "20"))
        self.framework_module = environ.get("SAGEMAKER_SERVING_MODULE")
        self.default_accept = environ.get(
            "SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT", content_types.JSON
        )
        self.model_server_timeout = int(environ.get("SAGEMAKER_MODEL_SERVER_TIMEOUT", "60"))
        self.model_server_workers = int(
            environ.get("SAGEMAKER_MODEL_SERVER_WORKERS", str(os.cpu_count() or 1))
        )
        self.use_nginx = environ.get("SAGEMAKER_USE_NGINX", "true").lower() == "true"
        self.http_port = environ.get("SAGEMAKER_BIND_TO_PORT", "8080")
        self.safe_port_range = environ.get("SAGEMAKER_SAFE_PORT_RANGE")
        self.model_dir = model_dir


def __getattr__(name: str) -> Any:
    if name in _TRAINING:
        environment = importlib.import_module("sagemaker_training.environment")
        return getattr(environment, "Environment" if name == "TrainingEnv" else name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
