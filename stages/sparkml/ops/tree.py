"""Tree models: decision trees, random forests and gradient-boosted trees.

A tree is read once from ``tree.json`` (JSON lines, pre-order: an internal node,
then its left subtree, then its right) into flat arrays; rows then walk it
level by level, vectorised over rows (a plain walk for a handful of rows is cheaper).
Continuous splits go left when x <= threshold; categorical ones when
(x in categories) == isLeft.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from inferline.stages.sparkml.columns import Column, dense
from inferline.stages.sparkml.ops.base import NodeLoader, NodeSpec, register
from inferline.stages.sparkml.ops.predictor import Predictor, pick

# Below this many rows a Python walk beats numpy's per-level overhead.
WALK_ROWS = 16


class Tree:
    """One decision tree as flat arrays, node 0 the root."""

    def __init__(self, lines: list[dict[str, Any]], where: str) -> None:
        self.feature: list[int] = []
        self.threshold: list[float] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.categories: dict[int, tuple[frozenset[float], bool]] = {}
        leaves: dict[int, list[float]] = {}
        position = 0

        def build() -> int:
            nonlocal position
            if position >= len(lines):
                raise ValueError(f"{where}: tree.json ends inside a subtree")
            line = lines[position]
            position += 1
            node = len(self.feature)
            self.feature.append(-1)
            self.threshold.append(0.0)
            self.left.append(-1)
            self.right.append(-1)
            if line.get("type") == "leaf":
                leaves[node] = [float(v) for v in line.get("values", [])]
                return node
            split = line["split"]
            self.feature[node] = int(split["featureIndex"])
            if split.get("type") == "categorical":
                members = frozenset(float(c) for c in split.get("categories", []))
                self.categories[node] = (members, bool(split.get("isLeft", False)))
            else:
                self.threshold[node] = float(split["threshold"])
            self.left[node] = build()
            self.right[node] = build()
            return node

        build()
        width = max(len(v) for v in leaves.values())
        self.values = np.zeros((len(self.feature), width))
        for node, values in leaves.items():
            self.values[node, : len(values)] = values
        self._feature = np.array(self.feature)
        self._threshold = np.array(self.threshold)
        self._left, self._right = np.array(self.left), np.array(self.right)
        self._categorical, self._is_left, self._member = self._category_tables()

    def _category_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Categorical splits as arrays: is the node categorical, does membership go
        left, and member[node, category] (categories are small whole numbers)."""
        nodes = len(self.feature)
        categorical = np.zeros(nodes, dtype=bool)
        is_left = np.zeros(nodes, dtype=bool)
        whole = [c for members, _ in self.categories.values() for c in members if c >= 0]
        member = np.zeros((nodes, int(max(whole, default=0)) + 1), dtype=bool)
        for node, (members, left) in self.categories.items():
            categorical[node], is_left[node] = True, left
            member[node, [int(c) for c in members if c >= 0 and c == int(c)]] = True
        return categorical, is_left, member

    @classmethod
    def read(cls, loader: NodeLoader, folder: str) -> Tree:
        text = loader.text(f"{folder}/tree.json")
        return cls([json.loads(line) for line in text.splitlines() if line.strip()], folder)

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """The leaf each row of `x` lands in."""
        if len(x) <= WALK_ROWS:
            return np.array([self._walk(row) for row in x.tolist()], dtype=np.int64)
        node = np.zeros(len(x), dtype=np.int64)
        while True:
            active = np.flatnonzero(self._feature[node] >= 0)
            if not len(active):
                return node
            at = node[active]
            values = x[active, self._feature[at]]
            go_left = values <= self._threshold[at]
            if self.categories:
                split = np.flatnonzero(self._categorical[at])
                go_left[split] = (
                    self._is_member(at[split], values[split]) == self._is_left[at[split]]
                )
            node[active] = np.where(go_left, self._left[at], self._right[at])

    def _is_member(self, nodes: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Vectorised `value in categories[node]`; fractions, NaN and unknowns are not."""
        width = self._member.shape[1]
        with np.errstate(invalid="ignore"):
            index = np.nan_to_num(values, nan=-1.0).astype(np.int64)
            valid = (index == values) & (index >= 0) & (index < width)
        member: np.ndarray = valid & self._member[nodes, np.clip(index, 0, width - 1)]
        return member

    def _walk(self, row: list[float]) -> int:
        node = 0
        feature, left, right = self.feature, self.left, self.right
        while feature[node] >= 0:
            value = row[feature[node]]
            split = self.categories.get(node)
            goes_left = (value in split[0]) == split[1] if split else value <= self.threshold[node]
            node = left[node] if goes_left else right[node]
        return node


def _thresholds(spec: NodeSpec) -> np.ndarray | None:
    values = spec.attributes.doubles("thresholds", [])
    return values if len(values) else None


def _ensemble(spec: NodeSpec) -> tuple[list[Tree], np.ndarray]:
    names = spec.attributes.strings("trees")
    trees = [Tree.read(spec.loader, f"{spec.folder}/{name}") for name in names]
    weights = spec.attributes.doubles("tree_weights", np.ones(len(trees)))
    return trees, weights


def _normalized(counts: np.ndarray) -> np.ndarray:
    totals = counts.sum(axis=1, keepdims=True)
    return counts / np.where(totals == 0, 1.0, totals)


def _classification(raw: np.ndarray, thresholds: np.ndarray | None) -> dict[str, np.ndarray]:
    probability = _normalized(raw)
    return {
        "raw_prediction": raw,
        "probability": probability,
        "prediction": pick(probability, thresholds),
    }


@register("decision_tree_classifier")
class DecisionTreeClassifier(Predictor):
    """raw = the leaf's class counts, probability = counts normalised."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.tree = Tree.read(spec.loader, spec.folder)
        self.thresholds = _thresholds(spec)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        raw = self.tree.values[self.tree.leaves(dense(features))]
        return _classification(raw, self.thresholds)


@register("decision_tree_regression")
class DecisionTreeRegression(Predictor):
    """prediction = the leaf's value."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.tree = Tree.read(spec.loader, spec.folder)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        return {"prediction": self.tree.values[self.tree.leaves(dense(features)), 0]}


@register("random_forest_classifier")
class RandomForestClassifier(Predictor):
    """raw = sum of the trees' normalised leaf counts (weights unused, as Spark)."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.trees, _ = _ensemble(spec)
        self.thresholds = _thresholds(spec)
        self.classes = max(t.values.shape[1] for t in self.trees)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        x = dense(features)
        raw = np.zeros((len(x), self.classes))
        for tree in self.trees:
            votes = _normalized(tree.values[tree.leaves(x)])
            raw[:, : votes.shape[1]] += votes
        return _classification(raw, self.thresholds)


@register("random_forest_regression")
class RandomForestRegression(Predictor):
    """prediction = the mean of the trees' leaf values."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.trees, _ = _ensemble(spec)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        x = dense(features)
        total = sum(tree.values[tree.leaves(x), 0] for tree in self.trees)
        return {"prediction": np.asarray(total) / len(self.trees)}


@register("gbt_regression")
class GBTRegression(Predictor):
    """prediction = sum of the trees' leaf values times their weights."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.trees, self.weights = _ensemble(spec)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        return {"prediction": _margin(self.trees, self.weights, dense(features))}


@register("gbt_classifier")
class GBTClassifier(Predictor):
    """Binary: margin = sum of weighted trees, p1 = 1 / (1 + exp(-2 margin))."""

    def __init__(self, spec: NodeSpec) -> None:
        super().__init__(spec)
        self.trees, self.weights = _ensemble(spec)
        self.thresholds = _thresholds(spec)

    def predict(self, features: Column) -> dict[str, np.ndarray]:
        margin = _margin(self.trees, self.weights, dense(features))
        p1 = 1.0 / (1.0 + np.exp(-2.0 * margin))
        probability = np.stack([1.0 - p1, p1], axis=1)
        prediction = (
            pick(probability, self.thresholds)
            if self.thresholds is not None
            else ((margin > 0).astype(np.float64))
        )
        return {
            "raw_prediction": np.stack([-margin, margin], axis=1),
            "probability": probability,
            "prediction": prediction,
        }


def _margin(trees: list[Tree], weights: np.ndarray, x: np.ndarray) -> np.ndarray:
    margin = np.zeros(len(x))
    for tree, weight in zip(trees, weights, strict=True):
        margin += weight * tree.values[tree.leaves(x), 0]
    return margin
