"""Converting a fitted Spark ML model into an MLeap Bundle.ML, with no JVM and no jars.

    from inferline.stages.sparkml.convert import convert, package, package_model
    package("spark_model/", "model.tar.gz")        # a model saved with .write().save()
    package_model(pipeline_model, "model.tar.gz")  # an in-memory pyspark PipelineModel

The saved model (metadata JSON + Parquet, read with pyarrow) becomes a bundle in
MLeap's current JSON layout (Spark 3 attribute names, MLEAP.md §1-2), which both
MLeap's JVM runtime and `inferline.stages.sparkml` load. A stage with no bundle op
(SQLTransformer, RFormula, custom stages) is refused, naming its uid and class.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from inferline.containers.core import archive
from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.convert import features, models, text, trees  # noqa: F401 (registers)
from inferline.stages.sparkml.convert.graph import Columns, Node
from inferline.stages.sparkml.convert.registry import CONVERTERS
from inferline.stages.sparkml.convert.saved import SavedStage, pipeline_stages, read_stage
from inferline.stages.sparkml.convert.writer import write_bundle

__all__ = ["CONVERTERS", "convert", "package", "package_model", "to_nodes"]

_PIPELINES = ("PipelineModel",)
_TUNED = ("CrossValidatorModel", "TrainValidationSplitModel")


def _stage_nodes(stage: SavedStage, columns: Columns) -> list[Node]:
    if stage.class_name in _PIPELINES:
        return [_pipeline(stage, columns)]
    if stage.class_name in _TUNED:  # serve the best model, as MLeap does
        return _stage_nodes(read_stage(stage.path / "bestModel"), columns)
    converter = CONVERTERS.get(stage.class_name)
    if converter is None:
        raise ModelLoadError(
            f"cannot convert stage {stage.uid} ({stage.metadata.get('class')}): no bundle op "
            f"exists for it; supported: {', '.join(sorted(CONVERTERS))}"
        )
    return converter(stage, columns)


def _pipeline(stage: SavedStage, columns: Columns) -> Node:
    children = [node for child in pipeline_stages(stage) for node in _stage_nodes(child, columns)]
    return Node(stage.uid, "pipeline", children=children)


def to_nodes(spark_model_dir: str | Path, vector_sizes: Mapping[str, int] | None = None) -> Node:
    """The bundle's root node for a saved Spark model (a pipeline or a single stage)."""
    return _root_node(read_stage(Path(spark_model_dir)), vector_sizes)


def _root_node(stage: SavedStage, vector_sizes: Mapping[str, int] | None) -> Node:
    nodes = _stage_nodes(stage, Columns(vector_sizes))
    if len(nodes) == 1:
        return nodes[0]
    return Node(stage.uid, "pipeline", children=nodes)  # a multi-column stage, split


def convert(
    spark_model_dir: str | Path,
    bundle_dir: str | Path,
    vector_sizes: Mapping[str, int] | None = None,
) -> Path:
    """Write the bundle (BUNDLE_FILE + root/) for a saved Spark model into `bundle_dir`.

    `vector_sizes` gives the sizes of vector *input* columns, which a saved model does
    not record (columns produced by its own stages are sized automatically).
    """
    bundle_dir = Path(bundle_dir)
    stage = read_stage(Path(spark_model_dir))
    saved_at_ms = int(stage.metadata.get("timestamp", 0))  # Spark's save time, in ms
    write_bundle(_root_node(stage, vector_sizes), bundle_dir, saved_at_ms)
    return bundle_dir


def package(
    spark_model_dir: str | Path, tar_path: str | Path, vector_sizes: Mapping[str, int] | None = None
) -> Path:
    """Convert a saved Spark model into a SageMaker-ready model.tar.gz.

    The bundle folder (a fresh scratch folder) becomes the archive's top level; the
    same saved model always packs to the same bytes.
    """
    tar_path = Path(tar_path)
    with tempfile.TemporaryDirectory(prefix="inferline-bundle-") as scratch:
        bundle_dir = convert(spark_model_dir, Path(scratch) / "bundle", vector_sizes)
        archive.write(bundle_dir, tar_path)
    return tar_path


def package_model(
    model: Any, tar_path: str | Path, vector_sizes: Mapping[str, int] | None = None
) -> Path:
    """Convert an in-memory pyspark model (PipelineModel or one fitted stage).

    The model is saved to a temporary folder first, which needs a live SparkSession.
    """
    with tempfile.TemporaryDirectory(prefix="inferline-spark-") as scratch:
        saved = Path(scratch) / "model"
        model.write().save(str(saved))
        return package(saved, tar_path, vector_sizes)
