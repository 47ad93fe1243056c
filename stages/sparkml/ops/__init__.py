"""The op registry: every op family module registers its classes on import.

One module per family: `pipeline`; the feature transformers `encoding` (indexers,
one-hot, string maps), `assembly` (assembler, slicer), `scaling`, `imputation`,
`bucketing` (bucketizer, binarizer), `expansion` (polynomial, interaction) and
`projection` (PCA, DCT, LSH); `text`, `math`; the models `linear`, `regression` (GLM,
AFT, isotonic), `tree`, `neural`, `composite` (one-vs-rest), `cluster`. `OPS` maps
MLeap op names to classes.
"""

from inferline.stages.sparkml.ops import (
    assembly,
    bucketing,
    cluster,
    composite,
    encoding,
    expansion,
    imputation,
    linear,
    math,
    neural,
    pipeline,
    projection,
    regression,
    scaling,
    text,
    tree,
)
from inferline.stages.sparkml.ops.base import OPS, NodeSpec, Op

__all__ = [
    "OPS",
    "NodeSpec",
    "Op",
    "assembly",
    "bucketing",
    "cluster",
    "composite",
    "encoding",
    "expansion",
    "imputation",
    "linear",
    "math",
    "neural",
    "pipeline",
    "projection",
    "regression",
    "scaling",
    "text",
    "tree",
]
