"""The sparkml kind's declaration: a directory holding an MLeap bundle (bundle.json).

Cheap to import (no numpy): the registry reads it to detect a model.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from inferline.containers.core.settings import text, variable
from inferline.stages.kind import Kind

__all__ = ["BUNDLE_FILE", "KIND", "SparkMLSettings"]

# The file that marks a Bundle.ML folder: its name, format and version (root/ beside it).
BUNDLE_FILE = "bundle.json"
CONTENT_TYPES = ("text/csv", "application/json", "application/jsonlines")


@dataclass(frozen=True)
class SparkMLSettings:
    """The variables only the Spark ML stage reads."""

    schema: str | None = field(default=None, metadata=variable("SAGEMAKER_SPARKML_SCHEMA", text))
    """Input/output schema (JSON), as the AWS SparkML container reads it."""


def recognises(model_dir: Path) -> bool:
    return (model_dir / BUNDLE_FILE).is_file()


KIND = Kind(
    name="sparkml",
    image="sparkml",
    extra="sparkml",
    requires=("numpy", "scipy"),
    loader="inferline.stages.sparkml:load",
    recognises=recognises,
    looks_for=BUNDLE_FILE,
    priority=10,
    content_types=CONTENT_TYPES,
    settings=SparkMLSettings,
)
