"""The Spark ML stage: MLeap bundles served with the AWS SparkML container's contract.

Pure Python and numpy: no JVM, no pyspark, no MLeap jars. `bundle.load_bundle` reads
and runs a Bundle.ML; `stage.SparkMLStage` speaks SageMaker's SparkML wire format;
`kind.py` declares the kind (and its SAGEMAKER_SPARKML_SCHEMA).
"""

from __future__ import annotations

from pathlib import Path

from inferline.containers.core.invocation import Stage
from inferline.containers.core.settings import Settings

__all__ = ["load"]


def load(model_dir: Path, settings: Settings) -> Stage:
    """The bundle in `model_dir` with the schema of SAGEMAKER_SPARKML_SCHEMA or schema.json."""
    from inferline.stages.sparkml.kind import KIND, SparkMLSettings
    from inferline.stages.sparkml.stage import SparkMLStage

    options: SparkMLSettings = KIND.options(settings)
    return SparkMLStage.load(model_dir, options.schema, settings.max_archive_members)
