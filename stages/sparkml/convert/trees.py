"""Converters for Spark's decision trees, random forests and gradient-boosted trees.

Spark saves a tree as a table of nodes (id, prediction, impurityStats, leftChild,
rightChild, split); MLeap wants ``tree.json``, JSON lines in pre-order. Ensembles keep
each tree in a ``tree<i>/`` sub-folder (model.json + tree.json, no node.json), and the
tree weights from ``treesMetadata``.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import Columns, Node
from inferline.stages.sparkml.convert.registry import converts, predictor
from inferline.stages.sparkml.convert.saved import SavedStage


def _split(split: Mapping[str, Any]) -> dict[str, Any]:
    feature = int(split["featureIndex"])
    numbers, categories = list(split["leftCategoriesOrThreshold"]), int(split["numCategories"])
    if categories < 0:
        return {"type": "continuous", "featureIndex": feature, "threshold": float(numbers[0])}
    # Spark's CategoricalSplit keeps the left set when it is at most half the categories,
    # else its complement (so unseen values go right either way); store the same side.
    is_left = len(numbers) <= categories // 2
    stored = numbers if is_left else sorted(set(map(float, range(categories))) - set(numbers))
    return {
        "type": "categorical",
        "featureIndex": feature,
        "isLeft": is_left,
        "numCategories": categories,
        "categories": [float(c) for c in stored],
    }


def tree_json(nodes: Sequence[Mapping[str, Any]], classifier: bool) -> str:
    """Spark's node table (root id 0) as MLeap's pre-order JSON lines."""
    by_id = {int(node["id"]): node for node in nodes}
    lines: list[str] = []
    pending = [0]
    while pending:  # an explicit stack: deep trees must not hit the recursion limit
        node = by_id[pending.pop()]
        if int(node["leftChild"]) < 0:
            values = list(node["impurityStats"]) if classifier else [node["prediction"]]
            lines.append(json.dumps({"type": "leaf", "values": [float(x) for x in values]}))
        else:
            lines.append(json.dumps({"type": "internal", "split": _split(node["split"])}))
            pending += [int(node["rightChild"]), int(node["leftChild"])]
    return "\n".join(lines) + "\n"


def _tree_op(classifier: bool) -> str:
    return "decision_tree_classifier" if classifier else "decision_tree_regression"


def _sizes(stage: SavedStage, classifier: bool) -> dict[str, Any]:
    attributes = {"num_features": v.long(stage.metadata["numFeatures"])}
    if classifier:
        attributes["num_classes"] = v.long(stage.metadata.get("numClasses", 2))
    return attributes


def _thresholds(stage: SavedStage, attributes: dict[str, Any]) -> dict[str, Any]:
    if stage.is_set("thresholds"):
        attributes["thresholds"] = v.doubles(stage.param("thresholds"))
    return attributes


@converts("DecisionTreeClassificationModel", "DecisionTreeRegressionModel")
def decision_tree(stage: SavedStage, columns: Columns) -> list[Node]:
    classifier = stage.class_name == "DecisionTreeClassificationModel"
    attributes = _thresholds(stage, _sizes(stage, classifier))
    node = predictor(
        stage,
        _tree_op(classifier),
        attributes,
        columns,
        num_classes=int(stage.metadata["numClasses"]) if classifier else None,
    )
    node.files["tree.json"] = tree_json(stage.rows(), classifier)
    return [node]


_ENSEMBLES = {
    "RandomForestClassificationModel": ("random_forest_classifier", True, True),
    "RandomForestRegressionModel": ("random_forest_regression", False, False),
    "GBTClassificationModel": ("gbt_classifier", True, False),  # its trees are regressors
    "GBTRegressionModel": ("gbt_regression", False, False),
}


@converts(*_ENSEMBLES)
def ensemble(stage: SavedStage, columns: Columns) -> list[Node]:
    op, classifier, class_counts = _ENSEMBLES[stage.class_name]
    nodes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in stage.rows():
        nodes[int(row["treeID"])].append(row["nodeData"])
    weights = {int(row["_1"]): float(row["_3"]) for row in stage.rows("treesMetadata")}
    order = sorted(nodes)
    attributes = _sizes(stage, classifier)
    if op == "gbt_classifier":
        attributes["num_classes"] = v.long(2)
    attributes |= {
        "tree_weights": v.doubles([weights[i] for i in order]),
        "trees": v.strings([f"tree{i}" for i in range(len(order))]),
    }
    node = predictor(
        stage,
        op,
        _thresholds(stage, attributes),
        columns,
        num_classes=int(stage.metadata.get("numClasses", 2)) if classifier else None,
    )
    tree_attributes = {"num_features": attributes["num_features"]}
    if class_counts:
        tree_attributes["num_classes"] = attributes["num_classes"]
    for position, tree_id in enumerate(order):
        node.files[f"tree{position}/model.json"] = json.dumps(
            {"op": _tree_op(class_counts), "attributes": tree_attributes}
        )
        node.files[f"tree{position}/tree.json"] = tree_json(nodes[tree_id], class_counts)
    return [node]
