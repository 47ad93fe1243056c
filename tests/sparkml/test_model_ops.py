"""Predictors and math ops: linear models, naive Bayes, trees and ensembles, k-means."""

from __future__ import annotations

import json

import numpy as np
import pytest

from inferline.containers.core.errors import ModelLoadError
from inferline.stages.sparkml.bundle import load_bundle
from tests.sparkml.bundles import (
    double,
    doubles,
    long,
    longs,
    node,
    string,
    strings,
    tensor,
    tree_lines,
    write_bundle,
)

PREDICTIONS = {"raw_prediction": "raw", "probability": "prob", "prediction": "pred"}
X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, 0.0]])


def predict(tmp_path, op, attributes, x=X, files=None, outputs=PREDICTIONS):
    item = node(op, attributes, {"features": "f"}, outputs, files=files)
    return load_bundle(write_bundle(tmp_path / op, [item])).transform({"f": x})


def test_linear_regression(tmp_path):
    out = predict(
        tmp_path,
        "linear_regression",
        {"coefficients": tensor([2.0, -1.0]), "intercept": double(0.5)},
        outputs={"prediction": "pred"},
    )
    assert out["pred"].tolist() == [0.5, -6.0, 0.5]


def test_binary_logistic_regression(tmp_path):
    out = predict(
        tmp_path,
        "logistic_regression",
        {
            "num_classes": long(2),
            "coefficients": tensor([1.0, 1.0]),
            "intercept": {},
            "threshold": double(0.5),
        },
    )
    margin = X.sum(axis=1)
    assert out["raw"].tolist() == np.stack([-margin, margin], axis=1).tolist()
    assert np.allclose(out["prob"][:, 1], 1 / (1 + np.exp(-margin)))
    assert np.allclose(out["prob"].sum(axis=1), 1.0)
    assert out["pred"].tolist() == [1.0, 0.0, 0.0]  # p=0.5 is not > 0.5


def test_multinomial_logistic_regression_reads_column_major_matrix(tmp_path):
    matrix = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])  # [classes, features]
    out = predict(
        tmp_path,
        "logistic_regression",
        {
            "num_classes": long(3),
            "coefficient_matrix": tensor(matrix),
            "intercept_vector": tensor([0.0, 0.0, 0.1]),
        },
    )
    margins = X @ matrix.T + [0.0, 0.0, 0.1]
    assert np.allclose(out["raw"], margins)
    expected = np.exp(margins) / np.exp(margins).sum(axis=1, keepdims=True)
    assert np.allclose(out["prob"], expected)
    assert out["pred"].tolist() == [1.0, 2.0, 2.0]


def test_linear_svc(tmp_path):
    out = predict(
        tmp_path,
        "linear_svc",
        {"coefficients": tensor([1.0, 0.0]), "intercept": double(0.0), "threshold": {}},
        outputs={"raw_prediction": "raw", "prediction": "pred"},
    )
    assert out["pred"].tolist() == [1.0, 0.0, 0.0]
    assert out["raw"][:, 1].tolist() == [1.0, -3.0, 0.0]


def test_naive_bayes_multinomial_and_refused_gaussian(tmp_path):
    pi = np.log([0.4, 0.6])
    theta = np.log([[0.7, 0.3], [0.2, 0.8]])
    counts = np.array([[3.0, 1.0], [0.0, 2.0]])
    out = predict(
        tmp_path,
        "naive_bayes",
        {
            "num_features": long(2),
            "num_classes": long(2),
            "pi": tensor(pi),
            "theta": tensor(theta),
            "model_type": string("multinomial"),
        },
        x=counts,
    )
    raw = pi + counts @ theta.T
    assert np.allclose(out["raw"], raw)
    assert np.allclose(out["prob"].sum(axis=1), 1.0)
    assert out["pred"].tolist() == np.argmax(raw, axis=1).astype(float).tolist()
    with pytest.raises(ModelLoadError, match="gaussian"):
        predict(
            tmp_path / "g",
            "naive_bayes",
            {"pi": tensor(pi), "theta": tensor(theta), "model_type": string("gaussian")},
            x=counts,
        )


# x0 <= 0.5 ? (x1 in {1, 2} ? leaf A : leaf B) : leaf C
TREE = tree_lines(
    {"type": "internal", "split": {"type": "continuous", "featureIndex": 0, "threshold": 0.5}},
    {
        "type": "internal",
        "split": {
            "type": "categorical",
            "featureIndex": 1,
            "isLeft": True,
            "numCategories": 4,
            "categories": [1.0, 2.0],
        },
    },
    {"type": "leaf", "values": [8.0, 2.0]},
    {"type": "leaf", "values": [1.0, 3.0]},
    {"type": "leaf", "values": [0.0, 5.0]},
)
TREE_X = np.array([[0.0, 1.0], [0.0, 3.0], [2.0, 1.0], [0.5, 2.0]])


@pytest.mark.parametrize("rows", [1, 40])  # the per-row walk and the vectorised walk
def test_decision_tree_classifier(tmp_path, rows):
    x = np.tile(TREE_X, (rows, 1))
    out = predict(
        tmp_path,
        "decision_tree_classifier",
        {"num_features": long(2), "num_classes": long(2)},
        x=x,
        files={"tree.json": TREE},
    )
    assert out["raw"][:4].tolist() == [[8, 2], [1, 3], [0, 5], [8, 2]]
    assert out["prob"][:4].tolist() == [[0.8, 0.2], [0.25, 0.75], [0.0, 1.0], [0.8, 0.2]]
    assert out["pred"][:4].tolist() == [0.0, 1.0, 1.0, 0.0]


def test_categorical_split_stored_as_right_side(tmp_path):
    tree = tree_lines(
        {
            "type": "internal",
            "split": {
                "type": "categorical",
                "featureIndex": 0,
                "isLeft": False,
                "numCategories": 3,
                "categories": [2.0],
            },
        },
        {"type": "leaf", "values": [1.0]},
        {"type": "leaf", "values": [2.0]},
    )
    out = predict(
        tmp_path,
        "decision_tree_regression",
        {"num_features": long(1)},
        x=np.array([[0.0], [2.0]]),
        files={"tree.json": tree},
        outputs={"prediction": "pred"},
    )
    assert out["pred"].tolist() == [1.0, 2.0]


def ensemble(op, weights, leaves):
    files = {}
    for i, values in enumerate(leaves):
        files[f"tree{i}/tree.json"] = tree_lines(
            {
                "type": "internal",
                "split": {"type": "continuous", "featureIndex": 0, "threshold": 0.0},
            },
            {"type": "leaf", "values": values[0]},
            {"type": "leaf", "values": values[1]},
        )
        files[f"tree{i}/model.json"] = '{"op": "decision_tree_regression", "attributes": {}}'
    attributes = {
        "num_features": long(2),
        "tree_weights": doubles(weights),
        "trees": strings([f"tree{i}" for i in range(len(leaves))]),
    }
    return attributes, files


def test_random_forest_classifier_sums_normalised_votes(tmp_path):
    attributes, files = ensemble(
        "rf", [1.0, 1.0], [([3.0, 1.0], [0.0, 2.0]), ([1.0, 1.0], [1.0, 3.0])]
    )
    out = predict(
        tmp_path,
        "random_forest_classifier",
        {**attributes, "num_classes": long(2)},
        x=np.array([[-1.0, 0.0], [1.0, 0.0]]),
        files=files,
    )
    assert out["raw"].tolist() == [[1.25, 0.75], [0.25, 1.75]]
    assert out["prob"].tolist() == [[0.625, 0.375], [0.125, 0.875]]
    assert out["pred"].tolist() == [0.0, 1.0]


def test_random_forest_and_gbt_regression(tmp_path):
    attributes, files = ensemble("rf", [1.0, 0.1], [([1.0], [3.0]), ([10.0], [20.0])])
    x = np.array([[-1.0, 0.0], [1.0, 0.0]])
    rf = predict(
        tmp_path,
        "random_forest_regression",
        attributes,
        x=x,
        files=files,
        outputs={"prediction": "pred"},
    )
    assert rf["pred"].tolist() == [5.5, 11.5]
    gbt = predict(
        tmp_path / "gbt",
        "gbt_regression",
        attributes,
        x=x,
        files=files,
        outputs={"prediction": "pred"},
    )
    assert np.allclose(gbt["pred"], [2.0, 5.0])


def test_gbt_classifier(tmp_path):
    attributes, files = ensemble("gbt", [1.0, 0.5], [([-1.0], [1.0]), ([-0.5], [0.5])])
    out = predict(
        tmp_path,
        "gbt_classifier",
        {**attributes, "num_classes": long(2)},
        x=np.array([[-1.0, 0.0], [1.0, 0.0]]),
        files=files,
    )
    margin = np.array([-1.25, 1.25])
    p1 = 1 / (1 + np.exp(-2 * margin))
    assert np.allclose(out["prob"], np.stack([1 - p1, p1], axis=1))
    assert out["raw"].tolist() == np.stack([-margin, margin], axis=1).tolist()
    assert out["pred"].tolist() == [0.0, 1.0]


def test_kmeans_nearest_centre(tmp_path):
    centers = {
        "type": "list",
        "tensor": [
            {"double": [0.0, 0.0], "shape": {"dimensions": [{"size": 2, "name": ""}]}},
            {"double": [10.0, 10.0], "shape": {"dimensions": [{"size": 2, "name": ""}]}},
        ],
    }
    out = predict(
        tmp_path,
        "k_means",
        {"cluster_centers": centers, "num_features": long(2)},
        x=np.array([[1.0, 1.0], [9.0, 8.0]]),
        outputs={"prediction": "pred"},
    )
    assert out["pred"].tolist() == [0, 1]


def test_math_ops_use_java_semantics(tmp_path):
    unary = load_bundle(
        write_bundle(
            tmp_path / "u",
            [node("math_unary", {"operation": string("round")}, {"input": "a"}, {"output": "r"})],
        )
    )
    assert unary.transform({"a": np.array([0.5, 1.5, -0.5, 2.4])})["r"].tolist() == [1, 2, 0, 2]
    binary = load_bundle(
        write_bundle(
            tmp_path / "b",
            [
                node(
                    "math_binary",
                    {"operation": string("rem")},
                    {"input_a": "a", "input_b": "b"},
                    {"output": "r"},
                )
            ],
        )
    )
    assert binary.transform({"a": np.array([-7.0]), "b": np.array([3.0])})["r"].tolist() == [-1.0]
    constant = load_bundle(
        write_bundle(
            tmp_path / "c",
            [
                node(
                    "math_binary",
                    {"operation": string("pow"), "db": double(2.0)},
                    {"input_a": "a"},
                    {"output": "r"},
                )
            ],
        )
    )
    assert constant.transform({"a": np.array([3.0, 4.0])})["r"].tolist() == [9.0, 16.0]


def test_generalized_linear_regression_applies_the_inverse_link(tmp_path):
    attributes = {
        "coefficients": tensor([0.5, -1.0]),
        "intercept": double(0.25),
        "family": string("poisson"),
        "link": string("log"),
    }
    out = predict(
        tmp_path,
        "generalized_linear_regression",
        attributes,
        outputs={"prediction": "pred", "link_prediction": "eta"},
    )
    eta = X @ [0.5, -1.0] + 0.25
    assert np.allclose(out["eta"], eta) and np.allclose(out["pred"], np.exp(eta))
    canonical = predict(
        tmp_path / "b",
        "generalized_linear_regression",
        {**attributes, "family": string("binomial"), "link": {}},
        outputs={"prediction": "pred"},
    )
    assert np.allclose(canonical["pred"], 1 / (1 + np.exp(-eta)))


def test_aft_survival_regression_quantiles(tmp_path):
    attributes = {
        "coefficients": tensor([0.1, 0.2]),
        "intercept": double(1.0),
        "scale": double(0.5),
        "quantile_probabilities": doubles([0.1, 0.5]),
    }
    out = predict(
        tmp_path,
        "aft_survival_regression",
        attributes,
        outputs={"prediction": "pred", "quantiles": "q"},
    )
    rate = np.exp(X @ [0.1, 0.2] + 1.0)
    assert np.allclose(out["pred"], rate)
    expected = rate[:, None] * np.exp(np.log(-np.log1p(-np.array([0.1, 0.5]))) * 0.5)
    assert np.allclose(out["q"], expected)


def test_isotonic_regression_interpolates_and_clamps(tmp_path):
    item = node(
        "isotonic_regression",
        {
            "boundaries": doubles([0.0, 1.0, 3.0]),
            "predictions": doubles([1.0, 2.0, 6.0]),
            "isotonic": {"boolean": True},
        },
        {"features": "x"},
        {"prediction": "p"},
    )
    out = load_bundle(write_bundle(tmp_path / "iso", [item])).transform(
        {"x": np.array([-5.0, 0.5, 2.0, 3.0, 9.0])}
    )
    assert out["p"].tolist() == [1.0, 1.5, 4.0, 6.0, 6.0]


def test_multilayer_perceptron_forward_pass(tmp_path):
    rng = np.random.default_rng(1)
    w1, b1 = rng.normal(size=(3, 2)), rng.normal(size=3)  # [out, in]
    w2, b2 = rng.normal(size=(2, 3)), rng.normal(size=2)
    flat = [*w1.flatten(order="F"), *b1, *w2.flatten(order="F"), *b2]
    out = predict(
        tmp_path,
        "multi_layer_perceptron_classifier",
        {"layers": longs([2, 3, 2]), "weights": tensor(flat)},
    )
    hidden = 1 / (1 + np.exp(-(X @ w1.T + b1)))
    raw = hidden @ w2.T + b2
    assert np.allclose(out["raw"], raw)
    assert np.allclose(out["prob"], np.exp(raw) / np.exp(raw).sum(axis=1, keepdims=True))
    assert out["pred"].tolist() == np.argmax(raw, axis=1).astype(float).tolist()


def test_one_vs_rest_picks_the_most_confident_classifier(tmp_path):
    files = {}
    for i, weights in enumerate([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]]):
        files[f"model{i}/model.json"] = json.dumps(
            {
                "op": "logistic_regression",
                "attributes": {
                    "num_classes": long(2),
                    "coefficients": tensor(weights),
                    "intercept": double(0.0),
                },
            }
        )
    out = predict(
        tmp_path,
        "one_vs_rest",
        {"num_classes": long(3), "num_features": long(2)},
        files=files,
        outputs={"prediction": "pred"},
    )
    assert out["pred"].tolist() == [1.0, 2.0, 0.0]  # margins [1,2,-3], [-3,.5,2.5], [0,0,0]


def test_gaussian_mixture_probabilities(tmp_path):
    from scipy.stats import multivariate_normal

    means = [np.array([0.0, 0.0]), np.array([3.0, 1.0])]
    covariances = [np.eye(2), np.array([[2.0, 0.5], [0.5, 1.0]])]
    attributes = {
        "weights": doubles([0.3, 0.7]),
        "means": {"type": "list", "tensor": [tensor(m) for m in means]},
        "covs": {"type": "list", "tensor": [tensor(c) for c in covariances]},
    }
    out = predict(
        tmp_path,
        "gaussian_mixture",
        attributes,
        outputs={"probability": "prob", "prediction": "pred"},
    )
    density = np.stack(
        [
            w * multivariate_normal(m, c).pdf(X)
            for w, m, c in zip([0.3, 0.7], means, covariances, strict=True)
        ],
        axis=1,
    )
    assert np.allclose(out["prob"], density / density.sum(axis=1, keepdims=True))
    assert out["pred"].tolist() == np.argmax(density, axis=1).tolist()


def test_bisecting_kmeans_descends_to_the_nearest_child(tmp_path):
    tree = tree_lines(
        {"index": -1, "norm": 0, "values": [5.0, 5.0], "numChildren": 2},
        {"index": -2, "norm": 0, "values": [0.0, 0.0], "numChildren": 2},
        {"index": 0, "norm": 0, "values": [-1.0, 0.0], "numChildren": 0},
        {"index": 1, "norm": 0, "values": [1.0, 0.0], "numChildren": 0},
        {"index": 2, "norm": 0, "values": [10.0, 10.0], "numChildren": 0},
    )
    out = predict(
        tmp_path,
        "bisecting_k_means",
        {},
        x=np.array([[-2.0, 0.0], [0.5, 1.0], [9.0, 9.0]]),
        files={"tree.json": tree},
        outputs={"prediction": "pred"},
    )
    assert out["pred"].tolist() == [0, 1, 2]
