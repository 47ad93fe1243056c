"""One local training job: the /opt/ml tree, the toolkit's environment, the script's run.

A SageMaker training job hands its script a tree like this (SAGEMAKER_BASE_DIR here)::

    input/config/hyperparameters.json   every value JSON-encoded, as the SDK writes them
    input/config/inputdataconfig.json   one entry per channel
    input/config/resourceconfig.json    one host, algo-1
    input/data/<channel>/               a copy of each channel's folder
    code/                               the script (and its source_dir)
    model/                              SM_MODEL_DIR: what the script saves
    output/data/                        SM_OUTPUT_DATA_DIR

The SM_* variables and the command-line arguments are not written here: the
``sagemaker-training`` toolkit itself computes them from that tree (its
``Environment.to_env_vars()`` and ``to_cmd_args()``, run in a child process because
the toolkit fixes its paths when imported), so they are what a real job passes.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from inferline.containers.core.errors import ConfigurationError

__all__ = ["HOST", "TrainingJob", "parse_hyperparameters"]

HOST = "algo-1"
LOG_LEVEL = 20
_CHANNEL_CONFIG = {
    "TrainingInputMode": "File",
    "S3DistributionType": "FullyReplicated",
    "RecordWrapperType": "None",
}
_TOOLKIT_PROBE = (
    "import json; from sagemaker_training import environment as e; "
    "env = e.Environment(); "
    "print(json.dumps({'env': env.to_env_vars(), 'args': env.to_cmd_args()}))"
)
# Runs the script as __main__ after making sagemaker_containers importable.
RUNNER = "inferline.stages.sklearn.compat.run"


def parse_hyperparameters(items: list[str]) -> dict[str, Any]:
    """``--hyperparameters`` as given: one JSON object, or key=value pairs whose values
    are read as JSON when they parse (``epochs=10`` is 10) and as text otherwise.

    Raises:
        ConfigurationError: neither form.
    """
    if len(items) == 1 and items[0].lstrip().startswith("{"):
        try:
            value = json.loads(items[0])
        except json.JSONDecodeError as error:
            raise ConfigurationError(f"--hyperparameters is not JSON: {error}") from None
        if not isinstance(value, dict):
            raise ConfigurationError("--hyperparameters JSON must be an object")
        return value
    parsed: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise ConfigurationError(f"--hyperparameters: {item!r} is not key=value")
        try:
            parsed[key] = json.loads(raw)
        except json.JSONDecodeError:
            parsed[key] = raw
    return parsed


@dataclass(frozen=True)
class TrainingJob:
    """The job's inputs; `prepare` lays out the tree under `base`, `run` runs it."""

    script: Path
    channels: Mapping[str, Path]
    base: Path
    hyperparameters: Mapping[str, Any] = field(default_factory=dict)
    source_dir: Path | None = None
    region: str = "us-east-1"
    job_name: str = "inferline-fit"

    @property
    def entry_point(self) -> str:
        """The script's path relative to the code folder (the SDK's ``entry_point``)."""
        if self.source_dir is None:
            return self.script.name
        return self.script.resolve().relative_to(self.source_dir.resolve()).as_posix()

    @property
    def code_dir(self) -> Path:
        return self.base / "code"

    @property
    def model_dir(self) -> Path:
        return self.base / "model"

    @property
    def output_data_dir(self) -> Path:
        return self.base / "output" / "data"

    def prepare(self) -> None:
        """Lay out the tree.

        Raises:
            ConfigurationError: the script or a channel folder does not exist, or the
                script is not inside source_dir.
        """
        if not self.script.is_file():
            raise ConfigurationError(f"training script {self.script} does not exist")
        if self.source_dir is not None and not self.script.resolve().is_relative_to(
            self.source_dir.resolve()
        ):
            raise ConfigurationError(f"{self.script} is not inside --source-dir {self.source_dir}")
        config = self.base / "input" / "config"
        for folder in (config, self.model_dir, self.output_data_dir):
            folder.mkdir(parents=True, exist_ok=True)
        for name, folder in self.channels.items():
            if not folder.is_dir():
                raise ConfigurationError(f"channel {name}: {folder} is not a folder")
            shutil.copytree(folder, self.base / "input" / "data" / name)
        if self.source_dir is not None:
            shutil.copytree(self.source_dir, self.code_dir)
        else:
            self.code_dir.mkdir()
            shutil.copy2(self.script, self.code_dir / self.script.name)
        _write_json(config / "hyperparameters.json", self._hyperparameters_file())
        channels = {name: _CHANNEL_CONFIG for name in self.channels}
        _write_json(config / "inputdataconfig.json", channels)
        _write_json(config / "resourceconfig.json", _resource_config())

    def environment(self) -> tuple[dict[str, str], list[str]]:
        """The SM_* variables and arguments the toolkit derives from the tree.

        Raises:
            ConfigurationError: sagemaker-training is not installed, or it failed.
        """
        result = subprocess.run(
            [sys.executable, "-c", _TOOLKIT_PROBE],
            env={**os.environ, **self._job_variables()},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join(result.stderr.strip().splitlines()[-5:])
            raise ConfigurationError(
                "the sagemaker-training toolkit could not read the job "
                f"(pip install 'inferline[toolkits]'):\n{tail}"
            )
        found = json.loads(result.stdout.strip().splitlines()[-1])
        return dict(found["env"]), list(found["args"])

    def run(self) -> int:
        """Run the script in the code folder, its output streaming to ours; its exit status."""
        variables, arguments = self.environment()
        script = self.code_dir / self.entry_point
        command = [sys.executable, "-m", RUNNER, str(script), *arguments]
        environ = {**os.environ, **self._job_variables(), **variables}
        return subprocess.run(command, env=environ, cwd=self.code_dir, check=False).returncode

    def _job_variables(self) -> dict[str, str]:
        return {
            "SAGEMAKER_BASE_DIR": str(self.base),
            "SAGEMAKER_PROGRAM": self.entry_point,
            "SAGEMAKER_SUBMIT_DIRECTORY": str(self.code_dir),
            "SAGEMAKER_REGION": self.region,
            "SAGEMAKER_CONTAINER_LOG_LEVEL": str(LOG_LEVEL),
            "SM_CURRENT_HOST": HOST,
            "TRAINING_JOB_NAME": self.job_name,
        }

    def _hyperparameters_file(self) -> dict[str, str]:
        """User values and the SDK's own sagemaker_* entries, each JSON-encoded."""
        framework = {
            "sagemaker_program": self.entry_point,
            "sagemaker_submit_directory": str(self.code_dir),
            "sagemaker_container_log_level": LOG_LEVEL,
            "sagemaker_job_name": self.job_name,
            "sagemaker_region": self.region,
        }
        merged = {**self.hyperparameters, **framework}
        return {key: json.dumps(value) for key, value in merged.items()}


def _resource_config() -> dict[str, Any]:
    group = "homogeneousCluster"
    return {
        "current_host": HOST,
        "hosts": [HOST],
        "current_group_name": group,
        "current_instance_type": "local",
        "instance_groups": [
            {"instance_group_name": group, "instance_type": "local", "hosts": [HOST]}
        ],
        "network_interface_name": "eth0",
    }


def _write_json(path: Path, value: Any) -> None:
    path.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n", encoding="utf-8")
