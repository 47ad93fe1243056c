"""The op registry: every op family module registers its classes on import.

One module per family: `pipeline`, `feature` (indexers, encoders, scalers), `text`,
`math`, `linear`, `regression` (GLM, AFT, isotonic), `tree`, `neural`, `composite`
(one-vs-rest), `cluster`. `OPS` maps MLeap op names to classes.
"""

from inferline.stages.sparkml.ops import (
    cluster,
    composite,
    feature,
    linear,
    math,
    neural,
    pipeline,
    regression,
    text,
    tree,
)
from inferline.stages.sparkml.ops.base import OPS, NodeSpec, Op

__all__ = [
    "OPS",
    "NodeSpec",
    "Op",
    "cluster",
    "composite",
    "feature",
    "linear",
    "math",
    "neural",
    "pipeline",
    "regression",
    "text",
    "tree",
]
