"""Converters for Spark's feature transformers (MLEAP.md §2.1-2.2 attribute names)."""

from __future__ import annotations

from math import comb

import numpy as np

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import SCALAR, Column, Columns, Node, vector
from inferline.stages.sparkml.convert.registry import (
    converts,
    multi_ports,
    per_column,
    simple,
)
from inferline.stages.sparkml.convert.saved import SavedStage, matrix, param_vector, spark_double
from inferline.stages.sparkml.convert.saved import vector as read_vector


@converts("StringIndexerModel")
def string_indexer(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    # Spark 3+ saves labelsArray (one list per column); Spark 2 saved a single labels.
    labels_array = row.get("labelsArray") or [row["labels"]]
    handle_invalid = stage.param("handleInvalid", "error")
    attributes = {
        "labels_length": v.integer(len(labels_array)),
        "handle_invalid": v.string(handle_invalid),
    }
    for i, labels in enumerate(labels_array):
        attributes[f"labels_array_{i}"] = v.strings(labels)
    inputs, outputs = multi_ports(stage)
    for (_, target), labels in zip(outputs, labels_array, strict=True):
        # The output's nominal metadata, as Spark attaches it (IndexToString reads it).
        nominal = list(labels) + (["__unknown"] if handle_invalid == "keep" else [])
        columns[target] = Column(labels=tuple(nominal))
    return [Node(stage.uid, "string_indexer", attributes, inputs, outputs)]


@converts("IndexToString")
def index_to_string(stage: SavedStage, columns: Columns) -> list[Node]:
    source = stage.param("inputCol")
    labels = stage.params.get("labels") or columns[source].labels
    if not labels:
        raise ModelLoadError(
            f"{stage}: no labels: set IndexToString.labels, or index {source!r} with a "
            "StringIndexer in the same pipeline"
        )
    columns[stage.param("outputCol")] = SCALAR
    attributes = {"labels": v.strings(labels), "input_shape": {"data_shape": v.data_shape(None)}}
    return [simple(stage, "reverse_string_indexer", attributes)]


def _one_hot_size(categories: int, drop_last: bool, handle_invalid: str) -> int:
    if handle_invalid == "keep" and not drop_last:
        return categories + 1
    if drop_last and handle_invalid != "keep":
        return categories - 1
    return categories


@converts("OneHotEncoderModel")
def one_hot_encoder(stage: SavedStage, columns: Columns) -> list[Node]:
    sizes = [int(size) for size in stage.row()["categorySizes"]]
    drop_last = bool(stage.param("dropLast", True))
    handle_invalid = stage.param("handleInvalid", "error")
    inputs, outputs = multi_ports(stage)
    for (_, target), size in zip(outputs, sizes, strict=True):
        columns[target] = vector(_one_hot_size(size, drop_last, handle_invalid))
    attributes = {
        "category_sizes": v.integers(sizes),
        "drop_last": v.boolean(drop_last),
        "handle_invalid": v.string(handle_invalid),
    }
    return [Node(stage.uid, "one_hot_encoder", attributes, inputs, outputs)]


@converts("VectorAssembler")
def vector_assembler(stage: SavedStage, columns: Columns) -> list[Node]:
    sources = list(stage.param("inputCols"))
    sizes = [
        None if columns[name].kind == "scalar" else columns.size(name, stage) for name in sources
    ]
    categories = sum((columns[name].element_categories() for name in sources), ())
    total = sum(1 if size is None else size for size in sizes)
    columns[stage.param("outputCol")] = vector(total, categories)
    # MLeap drops handleInvalid (it always passes NaN through); we keep it as an extension
    # attribute, which MLeap ignores and our runtime honours, so serving follows Spark.
    attributes = {
        "input_shapes": v.data_shapes(sizes),
        "handle_invalid": v.string(stage.param("handleInvalid", "error")),
    }
    return [
        Node(
            stage.uid,
            "vector_assembler",
            attributes,
            inputs=[(f"input{i}", name) for i, name in enumerate(sources)],
            outputs=[("output", stage.param("outputCol"))],
        )
    ]


def _same_size(stage: SavedStage, columns: Columns) -> int:
    """Record the output as a vector the size of the input, and return that size."""
    size = columns.size(stage.param("inputCol"), stage)
    columns[stage.param("outputCol")] = vector(size)
    return size


@converts("StandardScalerModel")
def standard_scaler(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    std, mean = read_vector(row["std"]), read_vector(row["mean"])
    columns[stage.param("outputCol")] = vector(len(std))
    attributes = {}
    if stage.param("withMean", False):
        attributes["mean"] = v.tensor(mean)
    if stage.param("withStd", True):
        attributes["std"] = v.tensor(std)
    return [simple(stage, "standard_scaler", attributes)]


@converts("MinMaxScalerModel")
def min_max_scaler(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    low, high = read_vector(row["originalMin"]), read_vector(row["originalMax"])
    columns[stage.param("outputCol")] = vector(len(low))
    return [
        simple(
            stage,
            "min_max_scaler",
            {
                "min": v.tensor(low),
                "max": v.tensor(high),
                "minValue": v.double(stage.param("min", 0.0)),
                "maxValue": v.double(stage.param("max", 1.0)),
            },
        )
    ]


@converts("MaxAbsScalerModel")
def max_abs_scaler(stage: SavedStage, columns: Columns) -> list[Node]:
    max_abs = read_vector(stage.row()["maxAbs"])
    columns[stage.param("outputCol")] = vector(len(max_abs))
    return [simple(stage, "max_abs_scaler", {"maxAbs": v.tensor(max_abs)})]


@converts("ImputerModel")
def imputer(stage: SavedStage, columns: Columns) -> list[Node]:
    surrogates = stage.row()
    missing = spark_double(stage.param("missingValue", "NaN"))
    strategy = stage.param("strategy", "mean")

    def build(_: int, source: str, target: str) -> Node:
        columns[target] = SCALAR
        return Node(
            stage.uid,
            "imputer",
            {
                "surrogate_value": v.double(surrogates[source]),
                "missing_value": v.double(missing),
                "strategy": v.string(strategy),
                "nullable_input": v.boolean(True),
            },
            inputs=[("input", source)],
            outputs=[("output", target)],
        )

    return per_column(stage, build)


@converts("Bucketizer")
def bucketizer(stage: SavedStage, columns: Columns) -> list[Node]:
    handle_invalid = stage.param("handleInvalid", "error")
    splits_array = stage.params.get("splitsArray") or [stage.param("splits")]

    def build(i: int, source: str, target: str) -> Node:
        columns[target] = SCALAR
        splits = [spark_double(split) for split in splits_array[i]]
        return Node(
            stage.uid,
            "bucketizer",
            {"splits": v.doubles(splits), "handle_invalid": v.string(handle_invalid)},
            inputs=[("input", source)],
            outputs=[("output", target)],
        )

    return per_column(stage, build)


@converts("Binarizer")
def binarizer(stage: SavedStage, columns: Columns) -> list[Node]:
    thresholds = stage.params.get("thresholds") or [stage.param("threshold", 0.0)]

    def build(i: int, source: str, target: str) -> Node:
        column = columns[source]
        size = columns.size(source, stage) if column.kind == "vector" else None
        columns[target] = SCALAR if size is None else vector(size)
        return Node(
            stage.uid,
            "binarizer",
            {
                "threshold": v.double(spark_double(thresholds[i])),
                "input_shapes": {"data_shape": v.data_shape(size)},
            },
            inputs=[("input", source)],
            outputs=[("output", target)],
        )

    return per_column(stage, build)


@converts("Normalizer")
def normalizer(stage: SavedStage, columns: Columns) -> list[Node]:
    size = _same_size(stage, columns)
    return [
        simple(
            stage,
            "normalizer",
            {
                "p_norm": v.double(spark_double(stage.param("p", 2.0))),
                "input_size": v.integer(size),
            },
        )
    ]


@converts("PCAModel")
def pca(stage: SavedStage, columns: Columns) -> list[Node]:
    components = matrix(stage.row()["pc"])  # [features, k]
    columns[stage.param("outputCol")] = vector(components.shape[1])
    return [simple(stage, "pca", {"principal_components": v.tensor(components)})]


@converts("PolynomialExpansion")
def polynomial_expansion(stage: SavedStage, columns: Columns) -> list[Node]:
    degree = int(stage.param("degree", 2))
    size = columns[stage.param("inputCol")].size
    expanded = None if size is None else comb(size + degree, degree) - 1
    columns[stage.param("outputCol")] = vector(expanded)
    return [simple(stage, "polynomial_expansion", {"degree": v.long(degree)})]


@converts("ElementwiseProduct")
def elementwise_product(stage: SavedStage, columns: Columns) -> list[Node]:
    scaling = param_vector(stage.param("scalingVec"))
    columns[stage.param("outputCol")] = vector(len(scaling))
    return [simple(stage, "elementwise_product", {"scaling_vec": v.tensor(scaling)})]


@converts("Interaction")
def interaction(stage: SavedStage, columns: Columns) -> list[Node]:
    sources = list(stage.param("inputCols"))
    sizes = [
        None if columns[name].kind == "scalar" else columns.size(name, stage) for name in sources
    ]
    specs = [columns[name].element_categories() for name in sources]
    attributes = {"num_inputs": v.integer(len(sources)), "input_shapes": v.data_shapes(sizes)}
    for i, spec in enumerate(specs):
        attributes[f"num_features{i}"] = v.integers(spec)
    columns[stage.param("outputCol")] = vector(int(np.prod([sum(spec) for spec in specs])))
    return [
        Node(
            stage.uid,
            "interaction",
            attributes,
            inputs=[(f"input{i}", name) for i, name in enumerate(sources)],
            outputs=[("output", stage.param("outputCol"))],
        )
    ]


@converts("VectorSlicer")
def vector_slicer(stage: SavedStage, columns: Columns) -> list[Node]:
    if stage.params.get("names"):
        raise ModelLoadError(
            f"{stage}: slicing by names needs the DataFrame's attribute metadata, which a "
            "saved model does not hold; slice by indices instead"
        )
    indices = [int(i) for i in stage.param("indices", [])]
    size = columns[stage.param("inputCol")].size
    columns[stage.param("outputCol")] = vector(len(indices))
    return [
        simple(
            stage,
            "vector_slicer",
            {
                "indices": v.longs(indices),
                "names": v.strings([]),
                "named_indices": v.integers([]),
                "input_size": v.integer(size or 0),
            },
        )
    ]


@converts("VectorIndexerModel")
def vector_indexer(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    num_features = int(row["numFeatures"])
    handle_invalid = stage.param("handleInvalid", "error")
    maps = sorted((int(feature), sorted(pairs)) for feature, pairs in row["categoryMaps"])
    attributes = {
        "keys": v.longs([feature for feature, _ in maps]),
        "num_features": v.long(num_features),
        "handle_invalid": v.string(handle_invalid),
    }
    categories = [1] * num_features
    for feature, pairs in maps:
        attributes[f"key_{feature}_keys"] = v.doubles([value for value, _ in pairs])
        attributes[f"key_{feature}_values"] = v.longs([index for _, index in pairs])
        categories[feature] = len(pairs)
    columns[stage.param("outputCol")] = vector(num_features, tuple(categories))
    return [simple(stage, "vector_indexer", attributes)]
