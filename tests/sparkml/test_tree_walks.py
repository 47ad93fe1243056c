"""The vectorised tree walk (many rows) lands every row where the plain walk does."""

from __future__ import annotations

import numpy as np

from inferline.stages.sparkml.ops.tree import WALK_ROWS, Tree

LINES = [
    {"type": "internal", "split": {"type": "categorical", "featureIndex": 0,
                                   "categories": [0.0, 2.0], "isLeft": True}},
    {"type": "internal", "split": {"type": "continuous", "featureIndex": 1, "threshold": 0.5}},
    {"type": "leaf", "values": [1.0]},
    {"type": "leaf", "values": [2.0]},
    {"type": "internal", "split": {"type": "categorical", "featureIndex": 2,
                                   "categories": [1.0], "isLeft": False}},
    {"type": "leaf", "values": [3.0]},
    {"type": "leaf", "values": [4.0]},
]  # fmt: skip


def test_categorical_and_continuous_splits_agree_with_the_plain_walk() -> None:
    rng = np.random.default_rng(0)
    rows = 500
    x = np.column_stack(
        [rng.integers(0, 4, rows).astype(float), rng.random(rows), rng.integers(0, 3, rows) * 1.0]
    )
    x[::7, 0] = np.nan  # not a member of any category
    x[::11, 0] = 1.5  # a fraction is never a category
    x[::13, 2] = np.inf
    tree = Tree(LINES, "test")
    assert rows > WALK_ROWS
    vectorised = tree.leaves(x)
    assert vectorised.tolist() == [tree._walk(row) for row in x.tolist()]
    assert set(vectorised.tolist()) == {2, 3, 5, 6}  # every leaf is reached
