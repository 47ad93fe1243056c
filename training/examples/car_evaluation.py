"""Car evaluation: Spark ML preprocessor -> XGBoost multi:softmax -> Spark ML postprocessor.

As the seed ``inference_pipeline_sparkml_xgboost_car_evaluation`` does: six
StringIndexer + OneHotEncoder pairs and a VectorAssembler make the features; XGBoost
answers a class index (``2.0``); an IndexToString bundle turns it back into
``unacc``, ``acc``, ``good`` or ``vgood``. CSV flows between all three.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, cast

import numpy as np
import pandas as pd
import xgboost

from inferline.stages import xgboost as xgboost_stage
from inferline.stages.sparkml.convert import package_model
from inferline.training import data, metrics, outputs, samples, spark
from inferline.training import sparkml_featurizers as featurizers
from inferline.training.examples import Trained

if TYPE_CHECKING:
    from pyspark.ml.feature import StringIndexerModel

NAME = "car-evaluation"
REQUESTS = ("low,low,5more,more,big,high", "vhigh,vhigh,2,2,small,low")
PARAMS = {
    "objective": "multi:softmax",
    "num_class": 4,
    "eval_metric": "mlogloss",
    # min_child_weight 0 lets trees split off the rare classes (good, vgood: 4% each).
    # One thread: the data is tiny, and OpenMP threads spinning beside Spark's JVM on a
    # busy machine made training 50 times slower.
    "eta": 0.5,
    "max_depth": 4,
    "min_child_weight": 0,
    "seed": data.SEED,
    "nthread": 1,
}
ROUNDS = 200


def _schema(document: dict[str, object]) -> dict[str, str]:
    return {"SAGEMAKER_SPARKML_SCHEMA": json.dumps(document, separators=(",", ":"))}


PREPROCESSOR = outputs.Container(
    "preprocessor",
    outputs.SPARKML_IMAGE,
    _schema(featurizers.CAR_PRE_SCHEMA),
)
CLASSIFIER = outputs.Container("xgboost", outputs.XGBOOST_IMAGE)
POSTPROCESSOR = outputs.Container(
    "postprocessor",
    outputs.SPARKML_IMAGE,
    _schema(featurizers.CAR_POST_SCHEMA),
)


def train(out: Path) -> Trained:
    session = spark.session()
    train_rows, held_out = data.split(data.car_evaluation())
    train_frame = session.createDataFrame(train_rows)
    label_indexer = featurizers.car_label_indexer().fit(train_frame)
    labels = list(cast("StringIndexerModel", label_indexer.stages[0]).labels)
    preprocessor = featurizers.car_preprocessor().fit(train_frame)
    postprocessor = featurizers.car_postprocessor(labels)

    def features(frame: pd.DataFrame) -> np.ndarray:
        return featurizers.vectors(preprocessor.transform(session.createDataFrame(frame)))

    label_index = np.array([labels.index(name) for name in train_rows[data.CAR_LABEL]])
    booster = xgboost.train(
        PARAMS,
        xgboost.DMatrix(features(train_rows), label=label_index),
        num_boost_round=ROUNDS,
    )

    package_model(preprocessor, out / PREPROCESSOR.model_data)
    outputs.archive(out, CLASSIFIER, lambda model_dir: xgboost_stage.save(booster, model_dir))
    package_model(postprocessor, out / POSTPROCESSOR.model_data)
    outputs.write_definitions(out, NAME, [PREPROCESSOR, CLASSIFIER, POSTPROCESSOR])

    def classify(frame: pd.DataFrame) -> list[str]:
        """In process, as the pipeline does: Spark features, booster, Spark IndexToString."""
        index = booster.predict(xgboost.DMatrix(features(frame)))
        named = postprocessor.transform(session.createDataFrame(pd.DataFrame({"label": index})))
        return [str(name) for name in named.toPandas()[data.CAR_LABEL]]

    quality = {
        **metrics.classification(held_out[data.CAR_LABEL], classify(held_out)),
        "model": "xgboost multi:softmax",
        "classes": labels,
        "rounds": ROUNDS,
    }
    outputs.write_metrics(out, quality)

    requests = []
    for number, request in enumerate(REQUESTS, start=1):
        row = pd.DataFrame([request.split(",")], columns=list(data.CAR_FEATURES))
        requests.append(
            samples.Sample(
                f"request {number}",
                request,
                "text/csv",
                "text/csv",
                [classify(row)],
            )
        )
    samples.save(requests, out)
    return Trained(NAME, out, quality, requests)
