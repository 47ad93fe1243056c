"""Which converter turns which Spark class into bundle nodes.

A converter takes the saved stage and the columns known so far, records the columns it
produces, and returns its nodes (usually one; a multi-column Bucketizer, Binarizer or
Imputer becomes one node per column, since MLeap's ops are single-column there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from inferline.stages.sparkml.convert.graph import Columns, Node
from inferline.stages.sparkml.convert.saved import SavedStage

Converter = Callable[[SavedStage, Columns], list[Node]]

CONVERTERS: dict[str, Converter] = {}


def converts(*class_names: str) -> Callable[[Converter], Converter]:
    """Register the decorated function for Spark classes (names without package)."""

    def register(function: Converter) -> Converter:
        for name in class_names:
            CONVERTERS[name] = function
        return function

    return register


def io_columns(stage: SavedStage) -> list[tuple[str, str]]:
    """(input, output) column pairs of a single- or multi-column stage."""
    if "inputCols" in stage.params and stage.params["inputCols"]:
        return list(zip(stage.param("inputCols"), stage.param("outputCols"), strict=True))
    return [(stage.param("inputCol"), stage.param("outputCol"))]


def multi_ports(stage: SavedStage) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Sockets of a MultiInOut op: plain input/output for one column, else numbered."""
    pairs = io_columns(stage)
    if len(pairs) == 1 and not stage.params.get("inputCols"):
        return [("input", pairs[0][0])], [("output", pairs[0][1])]
    inputs = [(f"input{i}", source) for i, (source, _) in enumerate(pairs)]
    outputs = [(f"output{i}", target) for i, (_, target) in enumerate(pairs)]
    return inputs, outputs


def simple(stage: SavedStage, op: str, attributes: dict[str, Any]) -> Node:
    """A one-in one-out node on ``input``/``output``."""
    return Node(
        stage.uid,
        op,
        attributes,
        inputs=[("input", stage.param("inputCol"))],
        outputs=[("output", stage.param("outputCol"))],
    )


def per_column(stage: SavedStage, build: Callable[[int, str, str], Node]) -> list[Node]:
    """One node per (input, output) pair; names get a suffix when there are several."""
    pairs = io_columns(stage)
    nodes = [build(i, source, target) for i, (source, target) in enumerate(pairs)]
    if len(nodes) > 1:
        for i, node in enumerate(nodes):
            node.name = f"{stage.uid}_{i}"
    return nodes


def predictor(
    stage: SavedStage,
    op: str,
    attributes: dict[str, Any],
    columns: Columns,
    num_classes: int | None = None,
) -> Node:
    """A predictor node: ``features`` in; prediction, and for classifiers the raw
    prediction and probability columns that are set (Spark skips empty names)."""
    from inferline.stages.sparkml.convert.graph import SCALAR, vector

    outputs = []
    if num_classes is not None:
        ports = (("raw_prediction", "rawPredictionCol"), ("probability", "probabilityCol"))
        for port, param in ports:
            name = stage.params.get(param, "")
            if name:
                outputs.append((port, name))
                columns[name] = vector(num_classes)
    outputs.append(("prediction", stage.param("predictionCol")))
    columns[stage.param("predictionCol")] = SCALAR
    if stage.params.get("leafCol"):
        from inferline.containers.core.errors import ModelLoadError

        raise ModelLoadError(f"{stage}: leafCol is not supported by the bundle format; unset it")
    return Node(
        stage.uid,
        op,
        attributes,
        inputs=[("features", stage.param("featuresCol"))],
        outputs=outputs,
    )
