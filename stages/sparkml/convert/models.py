"""Converters for Spark's linear models, naive Bayes and k-means (MLEAP.md §2.3)."""

from __future__ import annotations

from typing import Any

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.convert import values as v
from inferline.stages.sparkml.convert.graph import Columns, Node
from inferline.stages.sparkml.convert.registry import converts, predictor
from inferline.stages.sparkml.convert.saved import SavedStage, matrix
from inferline.stages.sparkml.convert.saved import vector as read_vector


def _thresholds(stage: SavedStage, attributes: dict[str, Any]) -> dict[str, Any]:
    if stage.is_set("thresholds"):
        attributes["thresholds"] = v.doubles(stage.param("thresholds"))
    return attributes


@converts("LinearRegressionModel")
def linear_regression(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    return [
        predictor(
            stage,
            "linear_regression",
            {
                "coefficients": v.tensor(read_vector(row["coefficients"])),
                "intercept": v.double(row["intercept"]),
            },
            columns,
        )
    ]


@converts("LogisticRegressionModel")
def logistic_regression(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    if "coefficientMatrix" not in row:  # Spark 2.0 layout: binary only
        coefficients, intercepts, classes, multinomial = (
            read_vector(row["coefficients"])[None, :],
            [row["intercept"]],
            2,
            False,
        )
    else:
        coefficients = matrix(row["coefficientMatrix"])
        intercepts = list(read_vector(row["interceptVector"]))
        classes, multinomial = int(row["numClasses"]), bool(row["isMultinomial"])
    attributes: dict[str, Any] = {"num_classes": v.long(classes)}
    if not multinomial:
        attributes |= {
            "coefficients": v.tensor(coefficients[0]),
            "intercept": v.double(intercepts[0]),
            "threshold": v.double(stage.param("threshold", 0.5)),
        }
    else:
        # [classes, features], column-major like Spark's Matrix.toArray.
        attributes |= {
            "coefficient_matrix": v.tensor(coefficients),
            "intercept_vector": v.tensor(intercepts),
        }
        _thresholds(stage, attributes)
    return [predictor(stage, "logistic_regression", attributes, columns, num_classes=classes)]


@converts("LinearSVCModel")
def linear_svc(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    node = predictor(
        stage,
        "linear_svc",
        {
            "num_classes": v.long(2),
            "coefficients": v.tensor(read_vector(row["coefficients"])),
            "intercept": v.double(row["intercept"]),
            "threshold": v.double(stage.param("threshold", 0.0)),
        },
        columns,
        num_classes=2,
    )
    # Spark's LinearSVCModel has no probability column.
    node.outputs = [socket for socket in node.outputs if socket[0] != "probability"]
    return [node]


@converts("NaiveBayesModel")
def naive_bayes(stage: SavedStage, columns: Columns) -> list[Node]:
    row = stage.row()
    theta = matrix(row["theta"])
    attributes = {
        "num_features": v.long(theta.shape[1]),
        "num_classes": v.long(theta.shape[0]),
        "pi": v.tensor(read_vector(row["pi"])),
        "theta": v.tensor(theta),
        "model_type": v.string(stage.param("modelType", "multinomial")),
    }
    if row.get("sigma") is not None:
        sigma = matrix(row["sigma"])
        if sigma.size:
            attributes["sigma"] = v.tensor(sigma)
    _thresholds(stage, attributes)
    return [predictor(stage, "naive_bayes", attributes, columns, num_classes=theta.shape[0])]


@converts("KMeansModel")
def kmeans(stage: SavedStage, columns: Columns) -> list[Node]:
    if stage.param("distanceMeasure", "euclidean") != "euclidean":
        raise ModelLoadError(
            f"{stage}: distanceMeasure={stage.param('distanceMeasure')!r} has no bundle "
            "equivalent; MLeap's k_means op is euclidean only"
        )
    rows = sorted(stage.rows(), key=lambda row: row["clusterIdx"])
    centers = [read_vector(row["clusterCenter"]) for row in rows]
    return [predictor(stage, "k_means", {"cluster_centers": v.tensors(centers)}, columns)]
