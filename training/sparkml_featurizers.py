"""The Spark ML pipelines of the examples, as the seeds' Glue jobs build them, and their schemas.

Each builder returns an unfitted `pyspark.ml.Pipeline` (or a transformer); the example
fits it on the training rows and hands the fitted model to the Spark-to-bundle
converter. The schemas are what ``SAGEMAKER_SPARKML_SCHEMA`` tells the serving stage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from inferline.training import data

if TYPE_CHECKING:
    from pyspark.ml import Pipeline, PipelineModel
    from pyspark.sql import DataFrame

FEATURES = "features"


def abalone_featurizer() -> Pipeline:
    """sex -> index -> one-hot, assembled with the seven measurements into `features`."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    return Pipeline(
        stages=[
            StringIndexer(inputCol="sex", outputCol="indexed_sex"),
            OneHotEncoder(inputCol="indexed_sex", outputCol="sex_vec"),
            VectorAssembler(inputCols=["sex_vec", *data.ABALONE_FEATURES[1:]], outputCol=FEATURES),
        ]
    )


def car_preprocessor() -> Pipeline:
    """Each of the six attributes indexed and one-hot encoded, then assembled into `features`."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import OneHotEncoder, StringIndexer, VectorAssembler

    stages: list[Any] = []
    for column in data.CAR_FEATURES:
        indexed, vector = f"indexed_{column}", f"{column}_vec"
        stages += [
            StringIndexer(inputCol=column, outputCol=indexed),
            OneHotEncoder(inputCol=indexed, outputCol=vector),
        ]
    vectors = [f"{column}_vec" for column in data.CAR_FEATURES]
    return Pipeline(stages=[*stages, VectorAssembler(inputCols=vectors, outputCol=FEATURES)])


def car_label_indexer() -> Pipeline:
    """class name -> label index (most frequent class first), fitted apart from the features."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import StringIndexer

    return Pipeline(stages=[StringIndexer(inputCol=data.CAR_LABEL, outputCol="label")])


def car_postprocessor(labels: list[str]) -> PipelineModel:
    """label index -> class name: the inverse of the fitted label indexer."""
    from pyspark.ml import PipelineModel
    from pyspark.ml.feature import IndexToString

    return PipelineModel(
        stages=[
            IndexToString(inputCol="label", outputCol=data.CAR_LABEL, labels=labels),
        ]
    )


def dbpedia_tokenizer() -> Pipeline:
    """abstract -> lower-cased, whitespace-split `tokenized_abstract`."""
    from pyspark.ml import Pipeline
    from pyspark.ml.feature import Tokenizer

    return Pipeline(stages=[Tokenizer(inputCol="abstract", outputCol="tokenized_abstract")])


def vectors(frame: DataFrame, column: str = FEATURES) -> np.ndarray:
    """A Spark vector column as a dense (rows, width) float array, in row order."""
    from pyspark.ml.functions import vector_to_array
    from pyspark.sql.functions import col

    rows = frame.select(vector_to_array(col(column)).alias(column)).toPandas()[column]
    return np.stack(rows.tolist()) if len(rows) else np.empty((0, 0))


def schema(inputs: list[tuple[str, str]], output: dict[str, str]) -> dict[str, Any]:
    """A SAGEMAKER_SPARKML_SCHEMA document: typed input columns and the output column."""
    return {"input": [{"name": name, "type": kind} for name, kind in inputs], "output": output}


ABALONE_SCHEMA = schema(
    [("sex", "string"), *((name, "double") for name in data.ABALONE_FEATURES[1:])],
    {"name": FEATURES, "type": "double", "struct": "vector"},
)
CAR_PRE_SCHEMA = schema(
    [(name, "string") for name in data.CAR_FEATURES],
    {"name": FEATURES, "type": "double", "struct": "vector"},
)
CAR_POST_SCHEMA = schema([("label", "double")], {"name": data.CAR_LABEL, "type": "string"})
DBPEDIA_SCHEMA = schema(
    [("abstract", "string")],
    {"name": "tokenized_abstract", "type": "string", "struct": "array"},
)
